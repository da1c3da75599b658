package io.meshfed.xds.bench;

import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ExportedService;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.ServiceEndpoint;
import io.meshfed.model.ServicePort;
import io.meshfed.xds.envoy.EnvoyNames;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The benchmark's federation: {@code clusters} clusters, each on its own network in one of 10 regions and 3 zones,
 * each exporting {@code services} services of its own with 3 ready endpoints. The change is the first endpoint of
 * cluster-0's svc-0 flipping between ready and not ready.
 */
public final class Scenario {
    public static final Instant READ_AT = Instant.parse("2026-01-01T00:00:00Z");
    final int clusters;
    final int services;
    private int changes;
    /** Address changes so far: each gives the changed endpoint an address it never had before. */
    private int moves;
    private List<ClusterCatalog> held = List.of();

    Scenario(int clusters, int services) {
        this.clusters = clusters;
        this.services = services;
    }

    static String clusterName(int i) {
        return "cluster-" + i;
    }

    static Locality locality(int i) {
        return new Locality("region-" + (i % 10), "zone-" + (i % 3));
    }

    MeshCluster cluster(int i) {
        return new MeshCluster(clusterName(i), "net-" + i, locality(i),
                new GatewayAddress("10." + (i / 250) + "." + (i % 250) + ".250", 15443), clusterName(i) + ".example", null);
    }

    /** The EDS / CDS name of cluster {@code c}'s service {@code s}. */
    static String edsName(int c, int s) {
        return EnvoyNames.cluster(EnvoyNames.host("ns-" + c, "svc-" + s), 8080);
    }

    static String changedEdsName() {
        return edsName(0, 0);
    }

    /**
     * Every cluster's catalog as the bridge holds them: the changed cluster's catalog is rebuilt with the next
     * generation, every other cluster keeps the catalog (and generation) it reported before, as between catalog
     * events in a live federation.
     */
    List<ClusterCatalog> catalogs() {
        List<ClusterCatalog> out = new ArrayList<>(clusters);
        for (int c = 0; c < clusters; c++) {
            out.add(held.size() > c && c != 0 ? held.get(c) : catalog(c));
        }
        held = out;
        return out;
    }

    private ClusterCatalog catalog(int c) {
        List<ExportedService> svcs = new ArrayList<>(services);
        for (int s = 0; s < services; s++) {
            boolean firstReady = !(c == 0 && s == 0 && changes % 2 == 1);
            List<ServiceEndpoint> eps = new ArrayList<>(3);
            for (int e = 0; e < 3; e++) {
                boolean moved = c == 0 && s == 0 && e == 0 && moves > 0;
                eps.add(new ServiceEndpoint(moved ? movedAddress(moves)
                        : "10." + (100 + c / 250) + "." + (c % 250) + "." + (s * 3 + e) % 250,
                        locality(c), e != 0 || firstReady, Map.of("app", "svc-" + s)));
            }
            svcs.add(new ExportedService("ns-" + c, "svc-" + s,
                    List.of(new ServicePort("http", 8080, "HTTP", 8080)), dedupe(eps)));
        }
        return ClusterCatalog.fresh(cluster(c), svcs, 1 + (c == 0 ? changes + moves : 0), READ_AT);
    }

    private static List<ServiceEndpoint> dedupe(List<ServiceEndpoint> eps) {
        Map<String, ServiceEndpoint> byAddress = new java.util.TreeMap<>();
        eps.forEach(e -> byAddress.putIfAbsent(e.address(), e));
        return List.copyOf(byAddress.values());
    }

    /** Applies the next change (flip the readiness of one endpoint of cluster-0/svc-0). */
    void change() {
        changes++;
    }

    /**
     * Applies the next address change: the first endpoint of cluster-0/svc-0 moves to an address it never had
     * (pod churn, where every replacement pod gets a new IP), so nothing a cache kept for an earlier generation
     * is ever asked for again.
     */
    void move() {
        moves++;
    }

    /** The {@code n}-th new address (n ≥ 1), unique up to 16,777,215 moves. */
    static String movedAddress(int n) {
        return "11." + ((n >> 16) & 0xff) + "." + ((n >> 8) & 0xff) + "." + (n & 0xff);
    }
}
