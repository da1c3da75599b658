package io.meshfed.federation.bench;

import io.meshfed.federation.FederationState;
import io.meshfed.federation.Fixtures;
import io.meshfed.federation.IstioFederationTranslator;
import io.meshfed.model.ClusterCatalog;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;

/**
 * CPU time (not wall time: the benchmark machine is shared) of the translator's main operations, measured with
 * {@link ThreadMXBean} on the calling thread, plus the collectors' time over the same runs. Sizes as in
 * {@link FederationBenchmark}; arguments: cluster counts (default 10 30 100). Run: see docs/benchmarks.md.
 */
public final class CpuTime {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private CpuTime() {
    }

    public static void main(String[] args) {
        int[] sizes = args.length == 0 ? new int[] {10, 30, 100} : new int[args.length];
        for (int i = 0; i < args.length; i++) {
            sizes[i] = Integer.parseInt(args[i]);
        }
        IstioFederationTranslator translator = new IstioFederationTranslator();
        System.out.printf("Federation translator CPU time (clusters x 1000 services x 3 endpoints, 10 networks); "
                + "load average %.2f%n", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        for (int clusters : sizes) {
            List<ClusterCatalog> catalogs = Fixtures.federation(clusters, 10, 1000, 3);
            String target = Fixtures.clusterName(0);
            // full one-target translation, 3 warm-up runs then 5 measured: "cold" with a new translator each time
            // (nothing remembered from earlier calls), "warm" repeating the call on one translator (as the JMH
            // benchmark does)
            for (int i = 0; i < 3; i++) {
                new IstioFederationTranslator().translate(catalogs, target, Fixtures.T0);
            }
            measure("clusters=" + clusters + " full one target, cold", () ->
                    new IstioFederationTranslator().translate(catalogs, target, Fixtures.T0));
            for (int i = 0; i < 3; i++) {
                translator.translate(catalogs, target, Fixtures.T0);
            }
            measure("clusters=" + clusters + " full one target, warm", () ->
                    translator.translate(catalogs, target, Fixtures.T0));

            int c = 5 % clusters;
            List<ClusterCatalog> a = new ArrayList<>(catalogs);
            a.set(c, Fixtures.syntheticCatalog(c, 10, 1000, 3, 2, 1, 7));
            List<ClusterCatalog> b = new ArrayList<>(catalogs);
            b.set(c, Fixtures.syntheticCatalog(c, 10, 1000, 3, 3, 0, 7));
            FederationState state = translator.newState(target);
            state.update(b, Fixtures.T0);
            int n = 2000;
            for (int i = 0; i < n; i++) {
                state.update(i % 2 == 0 ? a : b, Fixtures.T0);
            }
            long g0 = gcMillis();
            long c0 = THREADS.getCurrentThreadCpuTime();
            long w0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                state.update(i % 2 == 0 ? a : b, Fixtures.T0);
            }
            long w = System.nanoTime() - w0;
            long cc = THREADS.getCurrentThreadCpuTime() - c0;
            System.out.printf("clusters=%d incremental one service: cpu us/op %.1f  wall us/op %.1f  gc ms total %d%n",
                    clusters, cc / 1e3 / n, w / 1e3 / n, gcMillis() - g0);
        }
    }

    private static void measure(String what, Runnable run) {
        long[] cpu = new long[5];
        long[] wall = new long[5];
        long[] gc = new long[5];
        for (int i = 0; i < cpu.length; i++) {
            long g0 = gcMillis();
            long c0 = THREADS.getCurrentThreadCpuTime();
            long w0 = System.nanoTime();
            run.run();
            wall[i] = System.nanoTime() - w0;
            cpu[i] = THREADS.getCurrentThreadCpuTime() - c0;
            gc[i] = gcMillis() - g0;
        }
        System.out.printf("%s: cpu ms %s  wall ms %s  gc ms %s%n", what, ms(cpu), ms(wall),
                java.util.Arrays.toString(gc));
    }

    private static long gcMillis() {
        long t = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            t += Math.max(0, gc.getCollectionTime());
        }
        return t;
    }

    private static String ms(long[] nanos) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < nanos.length; i++) {
            b.append(i == 0 ? "" : ", ").append(nanos[i] / 1_000_000);
        }
        return b.append(']').toString();
    }
}
