package io.meshfed.federation.bench;

import io.meshfed.federation.FederationState;
import io.meshfed.federation.Fixtures;
import io.meshfed.federation.IstioFederationTranslator;
import io.meshfed.model.ClusterCatalog;
import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * Retained heap of the whole catalog and of one target's translated state, measured as the used-heap difference
 * after full collections (the objects are kept reachable while measuring). Sizes as in {@link FederationBenchmark}.
 */
public final class HeapFootprint {
    private HeapFootprint() {
    }

    public static void main(String[] args) throws InterruptedException {
        int[] sizes = {10, 30, 100};
        System.out.println("Federation translator retained heap (clusters x 1000 services x 3 endpoints, 10 networks)");
        for (int clusters : sizes) {
            long base = usedAfterGc();
            List<ClusterCatalog> catalogs = Fixtures.federation(clusters, 10, 1000, 3);
            long withCatalogs = usedAfterGc();
            FederationState state = new IstioFederationTranslator().newState(Fixtures.clusterName(0));
            state.update(catalogs, Fixtures.T0);
            long withState = usedAfterGc();
            int objects = state.snapshot().serviceEntries().size() + state.snapshot().destinationRules().size();
            System.out.printf("clusters=%d catalog=%.1f MiB  one-target state (%d objects)=%.1f MiB  total=%.1f MiB%n",
                    clusters, mib(withCatalogs - base), objects, mib(withState - withCatalogs),
                    mib(withState - base));
            // keep both reachable until measured
            if (catalogs.size() + state.targetCluster().length() < 0) {
                System.out.println();
            }
        }
    }

    private static long usedAfterGc() throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
