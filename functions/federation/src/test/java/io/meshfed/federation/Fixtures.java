package io.meshfed.federation;

import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ExportedService;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.ServiceEndpoint;
import io.meshfed.model.ServicePort;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Catalog builders for tests and benchmarks. */
public final class Fixtures {
    public static final Instant T0 = Instant.parse("2025-01-01T12:00:00Z");

    private Fixtures() {
    }

    public static MeshCluster cluster(String name, String network, String region, String zone, String gateway) {
        return new MeshCluster(name, network, new Locality(region, zone), new GatewayAddress(gateway, 15443),
                name + ".example.org", null);
    }

    public static ServiceEndpoint endpoint(String ip, String region, String zone, boolean ready, String... labels) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            map.put(labels[i], labels[i + 1]);
        }
        return new ServiceEndpoint(ip, new Locality(region, zone), ready, map);
    }

    public static ExportedService service(String namespace, String name, List<ServicePort> ports,
            ServiceEndpoint... endpoints) {
        return new ExportedService(namespace, name, ports, List.of(endpoints));
    }

    public static List<ServicePort> http(int port) {
        return List.of(new ServicePort("http", port, "HTTP", port));
    }

    public static ClusterCatalog catalog(MeshCluster cluster, long version, ExportedService... services) {
        return ClusterCatalog.fresh(cluster, List.of(services), version, T0.minusSeconds(30));
    }

    /** The same content with every list and map in a random order (the model re-sorts them). */
    public static ClusterCatalog shuffledCopy(ClusterCatalog c, Random random) {
        List<ExportedService> services = new ArrayList<>();
        for (ExportedService s : c.services()) {
            List<ServicePort> ports = new ArrayList<>(s.ports());
            Collections.shuffle(ports, random);
            List<ServiceEndpoint> eps = new ArrayList<>();
            for (ServiceEndpoint e : s.endpoints()) {
                List<Map.Entry<String, String>> entries = new ArrayList<>(e.labels().entrySet());
                Collections.shuffle(entries, random);
                Map<String, String> labels = new LinkedHashMap<>();
                entries.forEach(en -> labels.put(en.getKey(), en.getValue()));
                eps.add(new ServiceEndpoint(e.address(), e.locality(), e.ready(), labels));
            }
            Collections.shuffle(eps, random);
            services.add(new ExportedService(s.namespace(), s.name(), ports, eps));
        }
        Collections.shuffle(services, random);
        return new ClusterCatalog(c.cluster(), services, c.version(), null, c.lastGoodRead(), c.staleSince());
    }

    /**
     * A synthetic federation: {@code clusters} clusters over {@code networks} networks in 3 regions x 3 zones,
     * each exporting {@code services} services (the same names everywhere, in 10 namespaces), each with
     * {@code endpointsPerService} endpoints in two zones and two versions.
     */
    public static List<ClusterCatalog> federation(int clusters, int networks, int services, int endpointsPerService) {
        List<ClusterCatalog> out = new ArrayList<>(clusters);
        for (int c = 0; c < clusters; c++) {
            out.add(syntheticCatalog(c, networks, services, endpointsPerService, 1, 0));
        }
        return out;
    }

    public static String clusterName(int c) {
        return "cluster-" + c;
    }

    /** Cluster {@code c} of {@link #federation}; {@code variant} shifts the endpoints of service {@code changed}. */
    public static ClusterCatalog syntheticCatalog(int c, int networks, int services, int endpointsPerService,
            long version, int variant) {
        return syntheticCatalog(c, networks, services, endpointsPerService, version, variant, 0);
    }

    public static ClusterCatalog syntheticCatalog(int c, int networks, int services, int endpointsPerService,
            long version, int variant, int changedService) {
        String region = "region-" + (c % 3);
        MeshCluster cluster = new MeshCluster(clusterName(c), "net-" + (c % networks),
                new Locality(region, region + "-a"),
                new GatewayAddress("198.18." + (c / 250) + "." + (c % 250 + 1), 15443),
                clusterName(c) + ".example.org", null);
        List<ServicePort> ports = List.of(new ServicePort("http", 8080, "HTTP", 8080),
                new ServicePort("grpc", 9090, "GRPC", 9091));
        List<ExportedService> list = new ArrayList<>(services);
        for (int s = 0; s < services; s++) {
            List<ServiceEndpoint> eps = new ArrayList<>(endpointsPerService);
            int shift = s == changedService ? variant : 0;
            for (int e = 0; e < endpointsPerService; e++) {
                int n = s * endpointsPerService + e + shift;
                String ip = "10." + (c % 250) + "." + ((n >> 8) & 0xff) + "." + (n & 0xff);
                String zone = region + (e % 2 == 0 ? "-a" : "-b");
                eps.add(new ServiceEndpoint(ip, new Locality(region, zone), true,
                        Map.of("app", "svc-" + s, "version", e % 2 == 0 ? "v1" : "v2")));
            }
            list.add(new ExportedService("ns-" + (s % 10), "svc-" + s, ports, eps));
        }
        return ClusterCatalog.fresh(cluster, list, version, T0.minusSeconds(30));
    }
}
