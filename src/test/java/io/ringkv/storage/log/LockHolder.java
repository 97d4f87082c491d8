package io.ringkv.storage.log;

import java.nio.file.Path;

/** A child process for {@link LockTest}: takes the directory's lock, says so, and waits to be killed. */
public final class LockHolder {
    private LockHolder() {}

    public static void main(String[] args) throws Exception {
        var lock = new FileChannelFileSystem(Path.of(args[0])).lock(LockFile.NAME);
        System.out.println("locked");
        System.out.flush();
        Thread.sleep(120_000); // bounded: the test kills us long before
        lock.close();
    }
}
