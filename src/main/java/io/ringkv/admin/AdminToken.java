package io.ringkv.admin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bearer token that guards {@code /api/**}. When none is configured, a random 256-bit token is
 * written (owner-only, atomically) to a file so that only someone who can read the node's files
 * can administer it.
 */
public final class AdminToken {
    private static final Logger log = LoggerFactory.getLogger(AdminToken.class);
    public static final String FILE_NAME = "admin.token";

    private final byte[] token;

    private AdminToken(String token) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    /** The configured token, or a fresh one written to {@code dir/admin.token}. */
    public static AdminToken configuredOrGenerated(String configured, Path dir) {
        if (!configured.isBlank()) {
            return new AdminToken(configured);
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String token = HexFormat.of().formatHex(random);
        Path file = dir.resolve(FILE_NAME).toAbsolutePath();
        try {
            Files.createDirectories(dir);
            Path temp = Files.createTempFile(dir, FILE_NAME, ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(temp, token + "\n");
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the admin token to " + file, e);
        }
        log.info("admin token written to {} (set ringkv.admin.token to choose one)", file);
        return new AdminToken(token);
    }

    /** The token itself, for calls this process makes to its peers (nodes to the ECS and back). */
    public String value() {
        return new String(token, StandardCharsets.UTF_8);
    }

    /**
     * An HMAC-SHA256 of {@code message} under this token, hex: how a message that travels through a
     * third party (a heartbeat relayed by a peer) proves that its author holds the token.
     */
    public String sign(String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(token, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java runtime has HmacSHA256", e);
        }
    }

    /** Whether {@code signature} is {@link #sign}'s for {@code message}; in constant time. */
    public boolean verify(String message, String signature) {
        return signature != null && MessageDigest.isEqual(sign(message).getBytes(StandardCharsets.US_ASCII),
                signature.getBytes(StandardCharsets.US_ASCII));
    }

    /** Compares in constant time, so the response time does not reveal how much of a guess was right. */
    public boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
    }
}
