package io.meshfed.e2e;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.meshfed.xds.mcp.proto.mcp.Resource;
import io.meshfed.xds.mcp.proto.networking.ServiceEntry;
import io.meshfed.xds.mcp.proto.networking.WorkloadEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Behaves like istiod's config-source client ({@code pkg/adsc}): it dials {@code <cluster>.xds.meshfed.local} (the
 * host name is how the bridge tells clusters apart; istiod sends no cluster identity), sends node id
 * {@code sidecar~...} with GENERATOR=api and ISTIO_VERSION, opens each type with a request that already carries a
 * response nonce, and ACKs every response. Responses are queued in arrival order.
 */
final class IstiodLikeClient implements AutoCloseable {
    static final String SE = "networking.istio.io/v1/ServiceEntry";
    static final String DR = "networking.istio.io/v1/DestinationRule";
    static final String GW = "networking.istio.io/v1/Gateway";
    static final String WE = "networking.istio.io/v1/WorkloadEntry";

    private final ManagedChannel channel;
    private final BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
    private final StreamObserver<DiscoveryRequest> requests;

    IstiodLikeClient(int port, String cluster) {
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create())
                .overrideAuthority(cluster + ".xds.meshfed.local:15010").build();
        requests = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(new StreamObserver<>() {
            @Override
            public void onNext(DiscoveryResponse r) {
                responses.add(r);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
        Node node = Node.newBuilder().setId("sidecar~10.1.0.5~istiod-7d9c.istio-system~istio-system.svc.cluster.local")
                .setMetadata(Struct.newBuilder()
                        .putFields("GENERATOR", Value.newBuilder().setStringValue("api").build())
                        .putFields("ISTIO_VERSION", Value.newBuilder().setStringValue("1.24.2").build()))
                .build();
        boolean first = true;
        for (String type : List.of(SE, DR, GW, WE)) {
            DiscoveryRequest.Builder req = DiscoveryRequest.newBuilder().setTypeUrl(type)
                    .setResponseNonce("2026-01-01 00:00:00.1 +0000 UTC m=+0.5");
            if (first) {
                req.setNode(node);
                first = false;
            }
            synchronized (this) {
                requests.onNext(req.build());
            }
        }
    }

    /** The next response of {@code type} (others are ACKed and skipped), ACKed. */
    DiscoveryResponse next(String type) throws InterruptedException {
        while (true) {
            DiscoveryResponse r = responses.poll(30, TimeUnit.SECONDS);
            if (r == null) {
                throw new AssertionError("no " + type + " response within 30 s");
            }
            synchronized (this) {
                requests.onNext(DiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).setVersionInfo(r.getVersionInfo())
                        .setResponseNonce(r.getNonce()).build());
            }
            if (r.getTypeUrl().equals(type)) {
                return r;
            }
        }
    }

    /** The next response of each of {@code types}, in whatever order they are pushed (others are ACKed and skipped). */
    Map<String, DiscoveryResponse> nextOfEach(String... types) throws InterruptedException {
        Map<String, DiscoveryResponse> out = new TreeMap<>();
        java.util.Set<String> wanted = java.util.Set.of(types);
        while (out.size() < wanted.size()) {
            DiscoveryResponse r = responses.poll(30, TimeUnit.SECONDS);
            if (r == null) {
                throw new AssertionError("no response of every type " + wanted + " within 30 s; got " + out.keySet());
            }
            synchronized (this) {
                requests.onNext(DiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).setVersionInfo(r.getVersionInfo())
                        .setResponseNonce(r.getNonce()).build());
            }
            if (wanted.contains(r.getTypeUrl())) {
                out.put(r.getTypeUrl(), r);
            }
        }
        return out;
    }

    /** MCP resource name ("ns/name") to its ServiceEntry body, sorted by name. */
    static Map<String, ServiceEntry> serviceEntries(DiscoveryResponse r) throws InvalidProtocolBufferException {
        Map<String, ServiceEntry> out = new TreeMap<>();
        for (Any any : r.getResourcesList()) {
            Resource res = any.unpack(Resource.class);
            if (out.put(res.getMetadata().getName(), res.getBody().unpack(ServiceEntry.class)) != null) {
                throw new AssertionError("duplicate resource name " + res.getMetadata().getName());
            }
        }
        return out;
    }

    static List<String> names(DiscoveryResponse r) throws InvalidProtocolBufferException {
        List<String> out = new ArrayList<>();
        for (Any any : r.getResourcesList()) {
            out.add(any.unpack(Resource.class).getMetadata().getName());
        }
        return out;
    }

    /** An MCP WorkloadEntry: its metadata labels and its body. */
    record Entry(Map<String, String> labels, WorkloadEntry body) {
    }

    /** MCP resource name ("ns/name") to its WorkloadEntry, sorted by name. */
    static Map<String, Entry> workloadEntries(DiscoveryResponse r) throws InvalidProtocolBufferException {
        Map<String, Entry> out = new TreeMap<>();
        for (Any any : r.getResourcesList()) {
            Resource res = any.unpack(Resource.class);
            out.put(res.getMetadata().getName(), new Entry(res.getMetadata().getLabelsMap(),
                    res.getBody().unpack(WorkloadEntry.class)));
        }
        return out;
    }

    /**
     * One line per endpoint the ServiceEntry named {@code name} routes to, as istiod finds them: inline, or the
     * WorkloadEntries of its namespace whose labels (spec and metadata merged) hold its workload selector, in name
     * order: "address port-name:port locality network".
     */
    static List<String> endpoints(String name, ServiceEntry se, Map<String, Entry> entries) {
        List<WorkloadEntry> eps = new ArrayList<>(se.getEndpointsList());
        if (se.hasWorkloadSelector()) {
            String namespace = name.substring(0, name.indexOf('/') + 1);
            entries.forEach((entryName, e) -> {
                Map<String, String> labels = new TreeMap<>(e.body().getLabelsMap());
                labels.putAll(e.labels());
                if (entryName.startsWith(namespace)
                        && labels.entrySet().containsAll(se.getWorkloadSelector().getLabelsMap().entrySet())) {
                    eps.add(e.body());
                }
            });
        }
        List<String> out = new ArrayList<>();
        eps.forEach(e -> out.add(e.getAddress() + " " + new TreeMap<>(e.getPortsMap()) + " "
                + e.getLocality() + " " + e.getNetwork()));
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        synchronized (this) {
            requests.onCompleted();
        }
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
