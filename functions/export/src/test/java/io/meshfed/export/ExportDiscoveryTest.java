package io.meshfed.export;

import static io.meshfed.export.Workloads.endpoint;
import static io.meshfed.export.Workloads.node;
import static io.meshfed.export.Workloads.pod;
import static io.meshfed.export.Workloads.port;
import static io.meshfed.export.Workloads.service;
import static io.meshfed.export.Workloads.serviceExport;
import static io.meshfed.export.Workloads.slice;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.meshfed.model.ExportedService;
import io.meshfed.model.Locality;
import io.meshfed.model.ServiceEndpoint;
import io.meshfed.model.ServicePort;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExportDiscoveryTest {
    private static final Locality REGION = Locality.of("us-east1");

    @Test
    void exportsByServiceExportAndByLabelWithPortsEndpointsZonesAndSubsetLabels() {
        Service reviews = service("shop", "reviews", false, Map.of("app", "reviews"),
                port("http", 9080, "http-alt", null), port("metrics", 9090, 9090, null));
        Service ratings = service("shop", "ratings", true, Map.of("app", "ratings"), port(null, 8080, 8080, "grpc"));
        Service internal = service("shop", "internal", false, Map.of("app", "internal"), port("http", 80, 80, null));
        WorkloadState state = new WorkloadState(
                List.of(reviews, ratings, internal),
                List.of(serviceExport("shop", "reviews")),
                List.of(
                        slice("shop", "reviews-a", "reviews", List.of(
                                endpoint("10.0.0.2", true, "us-east1-b", "n1", "shop", "reviews-v1-abc"),
                                endpoint("10.0.0.1", false, null, "n2", "shop", "reviews-v2-def")),
                                "http", 8080, "metrics", 9090),
                        slice("shop", "ratings-a", "ratings", List.of(
                                endpoint("10.0.1.1", true, null, "unknown-node", null, null)), "", 8080),
                        slice("shop", "internal-a", "internal", List.of(
                                endpoint("10.0.2.1", true, null, "n1", "shop", "internal-1")), "http", 80)),
                Map.of(
                        "shop/reviews-v1-abc", pod("shop", "reviews-v1-abc",
                                Map.of("app", "reviews", "version", "v1", "pod-template-hash", "abc")),
                        "shop/reviews-v2-def", pod("shop", "reviews-v2-def",
                                Map.of("app", "reviews", "version", "v2", "pod-template-hash", "def"))),
                Map.of("n1", node("n1", "us-east1-b"), "n2", node("n2", "us-east1-c")));

        ExportDiscovery.Discovery d = ExportDiscovery.discover(state, REGION);

        assertEquals(List.of(), d.skipped());
        assertEquals(List.of(
                new ExportedService("shop", "ratings",
                        List.of(new ServicePort("grpc-8080", 8080, "GRPC", 8080)),
                        List.of(new ServiceEndpoint("10.0.1.1", REGION, true, Map.of()))),
                new ExportedService("shop", "reviews",
                        List.of(new ServicePort("http", 9080, "HTTP", 8080),
                                new ServicePort("metrics", 9090, "TCP", 9090)),
                        List.of(
                                new ServiceEndpoint("10.0.0.1", new Locality("us-east1", "us-east1-c"), false,
                                        Map.of("app", "reviews", "version", "v2")),
                                new ServiceEndpoint("10.0.0.2", new Locality("us-east1", "us-east1-b"), true,
                                        Map.of("app", "reviews", "version", "v1"))))),
                d.services());
    }

    @Test
    void theSameStateListedInAnotherOrderGivesEqualServices() {
        List<Service> services = new ArrayList<>(List.of(
                service("a", "one", true, Map.of("app", "one"), port("http", 80, 8080, null)),
                service("b", "two", true, Map.of("app", "two"), port("tcp", 5000, 5000, null))));
        List<EndpointSlice> slices = new ArrayList<>(List.of(
                slice("a", "one-x", "one", List.of(endpoint("10.1.0.9", true, "z1", null, "a", "p1"),
                        endpoint("10.1.0.3", true, "z2", null, "a", "p2")), "http", 8080),
                slice("a", "one-y", "one", List.of(endpoint("10.1.0.5", true, "z1", null, "a", "p3")), "http", 8080),
                slice("b", "two-x", "two", List.of(endpoint("10.2.0.1", true, "z3", null, "b", "q1")), "tcp", 5000)));
        ExportDiscovery.Discovery first = ExportDiscovery.discover(
                new WorkloadState(services, List.of(), slices, Map.of(), Map.of()), REGION);
        Collections.reverse(services);
        Collections.reverse(slices);
        ExportDiscovery.Discovery second = ExportDiscovery.discover(
                new WorkloadState(services, List.of(), slices, Map.of(), Map.of()), REGION);
        assertEquals(first, second);
        assertEquals(List.of("10.1.0.3", "10.1.0.5", "10.1.0.9"),
                first.services().get(0).endpoints().stream().map(ServiceEndpoint::address).toList());
    }

    @Test
    void overlappingSlicesKeepOneEndpointPerAddressPreferringReady() {
        Service s = service("a", "one", true, Map.of(), port("http", 80, 80, null));
        WorkloadState state = new WorkloadState(List.of(s), List.of(), List.of(
                slice("a", "old", "one", List.of(endpoint("10.0.0.1", false, "z1", null, null, null)), "http", 80),
                slice("a", "new", "one", List.of(endpoint("10.0.0.1", true, "z1", null, null, null)), "http", 80)),
                Map.of(), Map.of());
        assertEquals(List.of(new ServiceEndpoint("10.0.0.1", new Locality("us-east1", "z1"), true, Map.of())),
                ExportDiscovery.discover(state, REGION).services().get(0).endpoints());
    }

    @Test
    void leavesOutWhatCannotBeExportedAndSaysWhy() {
        Service external = new ServiceBuilder(service("a", "ext", true, Map.of(), port("http", 80, 80, null)))
                .editSpec().withType("ExternalName").withExternalName("example.com").endSpec().build();
        Service sctp = service("a", "sctp", true, Map.of(), port("sig", 3868, 3868, null));
        sctp.getSpec().getPorts().get(0).setProtocol("SCTP");
        Service badZone = service("a", "ok", true, Map.of(), port("http", 80, 80, null));
        WorkloadState state = new WorkloadState(List.of(external, sctp, badZone),
                List.of(serviceExport("a", "missing")),
                List.of(slice("a", "ok-1", "ok", List.of(
                        endpoint("10.0.0.1", true, "bad zone!", null, null, null),
                        endpoint("10.0.0.2", true, "z1", null, null, null)), "http", 80)),
                Map.of(), Map.of());

        ExportDiscovery.Discovery d = ExportDiscovery.discover(state, REGION);

        assertEquals(List.of("a/ok"), d.services().stream().map(ExportedService::key).toList());
        assertEquals(List.of("10.0.0.2"),
                d.services().get(0).endpoints().stream().map(ServiceEndpoint::address).toList());
        assertEquals(5, d.skipped().size(), d.skipped().toString());
        assertEquals("a/ext: ExternalName Services have no endpoints to export", d.skipped().get(0));
        assertEquals("a/missing: ServiceExport has no Service of the same name", d.skipped().get(1));
        assertEquals(true, d.skipped().get(2).startsWith("a/ok: endpoint 10.0.0.1: zone:"), d.skipped().get(2));
        assertEquals("a/sctp: no port meshfed can export", d.skipped().get(3));
        assertEquals("a/sctp: port 3868 uses SCTP, which meshfed cannot carry", d.skipped().get(4));
    }
}
