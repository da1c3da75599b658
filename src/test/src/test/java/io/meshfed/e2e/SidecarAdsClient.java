package io.meshfed.e2e;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An ADS client that poses as an Envoy sidecar to a real istiod (plaintext xDS port, as port 15010 in a cluster):
 * a sidecar node id, the proxy's namespace, cluster and network in its metadata, a locality; no Pod behind it.
 * Requests one type at a time, ACKs what it gets. Not thread-safe: one test thread drives it.
 */
final class SidecarAdsClient implements AutoCloseable {
    static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    static final String EDS = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

    private final ManagedChannel channel;
    private final StreamObserver<DiscoveryRequest> requests;
    private final BlockingQueue<Object> responses = new LinkedBlockingQueue<>();
    private final Node node;

    SidecarAdsClient(int port, String cluster, String network, String region, String zone) {
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create()).build();
        node = Node.newBuilder().setId("sidecar~10.1.0.9~client-0.demo~demo.svc.cluster.local")
                .setLocality(Locality.newBuilder().setRegion(region).setZone(zone))
                .setMetadata(Struct.newBuilder().putAllFields(Map.of(
                        "NAMESPACE", string("demo"), "CLUSTER_ID", string(cluster), "NETWORK", string(network),
                        "ISTIO_VERSION", string("1.31.0"), "SERVICE_ACCOUNT", string("client"))))
                .build();
        requests = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(new StreamObserver<>() {
            @Override
            public void onNext(DiscoveryResponse r) {
                responses.add(r);
            }

            @Override
            public void onError(Throwable t) {
                responses.add(t);
            }

            @Override
            public void onCompleted() {
                responses.add(new IllegalStateException("istiod closed the stream"));
            }
        });
    }

    private static Value string(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }

    /** Subscribes to {@code type} ({@code names} empty: wildcard) and returns istiod's answer, ACKed. */
    DiscoveryResponse request(String type, List<String> names) throws InterruptedException {
        requests.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(type).addAllResourceNames(names).build());
        while (true) {
            Object o = responses.poll(60, TimeUnit.SECONDS);
            if (o == null) {
                throw new AssertionError("istiod sent no " + type + " in 60 s");
            }
            if (o instanceof Throwable t) {
                throw new AssertionError("the ADS stream failed", t);
            }
            DiscoveryResponse r = (DiscoveryResponse) o;
            requests.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(r.getTypeUrl())
                    .setVersionInfo(r.getVersionInfo()).setResponseNonce(r.getNonce()).addAllResourceNames(names).build());
            if (r.getTypeUrl().equals(type)) {
                return r;
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        requests.onCompleted();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
