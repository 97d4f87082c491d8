package io.ringkv.resp;

import io.ringkv.transport.TcpListener;
import io.ringkv.transport.Transports;
import java.net.InetSocketAddress;

/**
 * The RESP2 listener: Redis clients (redis-cli, redis-benchmark, Jedis, Lettuce) talk to the node
 * through it. The pipeline, per connection: {@link RespDecoder} cuts commands out of the stream,
 * {@link RespConnection} runs them and writes replies in order. Data commands go through
 * {@link RespBackend#execute}, the node's request path.
 */
public final class RespServer implements AutoCloseable {
    /** Open connections; beyond it a new one is answered an error and closed. */
    public static final int CONNECTIONS_MAX = 1024;

    private final TcpListener listener;

    public RespServer(Transports transports, InetSocketAddress bind, int threads, RespLimits limits,
            RespBackend backend, RespMetrics metrics, String version) throws InterruptedException {
        Clients clients = new Clients(CONNECTIONS_MAX, System.currentTimeMillis());
        var parser = new RespParser(limits.parser());
        var commands = new RespCommands(new DataCommands(backend, limits),
                new ServerCommands(backend, clients, bind.getPort(), version, System::currentTimeMillis), clients);
        listener = new TcpListener(transports, bind, threads, "resp", ch -> ch.pipeline()
                .addLast("commands", new RespDecoder(parser))
                .addLast("replies", new RespConnection(commands, clients, metrics, System::currentTimeMillis)));
    }

    public InetSocketAddress address() {
        return listener.address();
    }

    @Override
    public void close() {
        listener.close();
    }
}
