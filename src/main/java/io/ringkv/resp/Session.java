package io.ringkv.resp;

import java.net.InetSocketAddress;

/**
 * What one connection has told us about itself (CLIENT SETNAME, SETINFO) and the facts CLIENT
 * INFO and CLIENT LIST report. Read and written on the connection's event loop, read by CLIENT
 * LIST of other connections: fields are volatile, and a listing may be a moment out of date.
 */
final class Session {
    final long id;
    final InetSocketAddress remote;
    final InetSocketAddress local;
    final long createdMillis;
    volatile String name = "";
    volatile String libName = "";
    volatile String libVersion = "";
    volatile String lastCommand = "NULL";
    volatile long lastCommandMillis;

    Session(long id, InetSocketAddress remote, InetSocketAddress local, long nowMillis) {
        this.id = id;
        this.remote = remote;
        this.local = local;
        this.createdMillis = nowMillis;
        this.lastCommandMillis = nowMillis;
    }

    /** One line of CLIENT LIST, in Redis's field names (a subset). */
    String describe(long nowMillis) {
        return "id=" + id
                + " addr=" + address(remote)
                + " laddr=" + address(local)
                + " name=" + name
                + " age=" + (nowMillis - createdMillis) / 1000
                + " idle=" + (nowMillis - lastCommandMillis) / 1000
                + " db=0 resp=2"
                + " cmd=" + lastCommand
                + " lib-name=" + libName
                + " lib-ver=" + libVersion;
    }

    private static String address(InetSocketAddress address) {
        return address == null ? "?" : address.getAddress().getHostAddress() + ":" + address.getPort();
    }
}
