package io.ringkv.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Runs one load test: opens the sockets, lets them drive load for warmup + duration, merges their figures. */
final class LoadRun {
    /** Extra time after the window so that events already in the event loops' queues are handled. */
    private static final long SETTLE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private LoadRun() {}

    /** What a run measured. */
    record Result(LoadSpec spec, String transport, SocketDriver.Figures figures) {
        double seconds() {
            return spec.duration().toNanos() / 1e9;
        }

        /** Requests answered per second: OVERLOAD replies are not counted (see {@link SocketDriver.Figures#answered}). */
        double opsPerSecond() {
            return figures.answered() / seconds();
        }
    }

    static Result run(LoadSpec spec) throws InterruptedException, UnknownHostException {
        InetSocketAddress target = new InetSocketAddress(spec.host(), spec.port());
        if (target.isUnresolved()) {
            throw new UnknownHostException("unknown host " + spec.host());
        }
        NettyUdp udp = NettyUdp.best();
        EventLoopGroup group = udp.newGroup(spec.threads(), "ringkv-bench");
        List<Channel> channels = new ArrayList<>();
        List<SocketDriver> drivers = new ArrayList<>();
        try {
            SplittableRandom random = new SplittableRandom(spec.seed());
            byte[] value = new byte[spec.valueBytes()];
            random.nextBytes(value);
            // Random per run, not seeded: a rerun must not collide with the node's at-most-once cache.
            long salt = new SecureRandom().nextLong();
            Bootstrap bootstrap = udp.bootstrap(group, NettyUdp.datagramBytesFor(spec.valueBytes()));
            for (int i = 0; i < spec.sockets(); i++) {
                SocketDriver driver = new SocketDriver(spec, spec.windowOf(i), new RequestEncoder(salt, value),
                        random.split());
                drivers.add(driver);
                channels.add(bootstrap.clone().handler(driver).connect(target).sync().channel());
            }
            // All sockets start together, with one window for all.
            long warmupEndNanos = System.nanoTime() + spec.warmup().toNanos();
            long endNanos = warmupEndNanos + spec.duration().toNanos();
            for (int i = 0; i < drivers.size(); i++) {
                SocketDriver driver = drivers.get(i);
                channels.get(i).eventLoop().execute(() -> driver.start(warmupEndNanos, endNanos));
            }
            long remaining;
            while ((remaining = endNanos + SETTLE_NANOS - System.nanoTime()) > 0) {
                TimeUnit.NANOSECONDS.sleep(remaining);
            }
            SocketDriver.Figures total = SocketDriver.Figures.empty();
            for (int i = 0; i < drivers.size(); i++) {
                SocketDriver driver = drivers.get(i);
                try {
                    total = total.plus(channels.get(i).eventLoop().submit(driver::snapshot).get());
                } catch (ExecutionException e) {
                    throw new IllegalStateException("collecting figures failed", e.getCause());
                }
            }
            return new Result(spec, udp.describe(), total);
        } finally {
            for (Channel channel : channels) {
                channel.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
