package io.meshfed.xds;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A plain ADS client over grpc-java that records every response and the final status of each stream. */
public final class AdsTestClient implements AutoCloseable {
    private final ManagedChannel channel;

    /** Plaintext h2c to 127.0.0.1, with {@code authority} as {@code :authority} unless null. */
    public AdsTestClient(int port, String authority) {
        this(channel("127.0.0.1", port, InsecureChannelCredentials.create(), authority));
    }

    /** Over a channel of the caller's making (TLS, another address); closing the client shuts it down. */
    public AdsTestClient(ManagedChannel channel) {
        this.channel = channel;
    }

    /** A channel to {@code host:port}, with {@code authority} as {@code :authority} (and TLS server name) unless null. */
    public static ManagedChannel channel(String host, int port, ChannelCredentials credentials, String authority) {
        var b = Grpc.newChannelBuilderForAddress(host, port, credentials);
        if (authority != null) {
            b.overrideAuthority(authority);
        }
        return b.build();
    }

    public static Node node(String id) {
        return Node.newBuilder().setId(id).build();
    }

    public static Node envoyNode(String id, String cluster, String region, String zone) {
        return Node.newBuilder().setId(id)
                .setLocality(io.envoyproxy.envoy.config.core.v3.Locality.newBuilder().setRegion(region).setZone(zone))
                .setMetadata(com.google.protobuf.Struct.newBuilder().putFields("CLUSTER_ID",
                        com.google.protobuf.Value.newBuilder().setStringValue(cluster).build()))
                .build();
    }

    /** One recorded stream: what was received, in order, and how it ended. */
    public static final class Recorded<Q, R> {
        public final BlockingQueue<R> responses = new LinkedBlockingQueue<>();
        public final CompletableFuture<Status> end = new CompletableFuture<>();
        StreamObserver<Q> requests;
        ClientCallStreamObserver<Q> call;

        public void send(Q request) {
            requests.onNext(request);
        }

        public R next() throws InterruptedException {
            R r = responses.poll(15, TimeUnit.SECONDS);
            if (r == null) {
                throw new AssertionError("no response within 15 s; stream ended: " + end.getNow(null));
            }
            return r;
        }

        public Status status() throws Exception {
            return end.get(15, TimeUnit.SECONDS);
        }

        public void cancel() {
            call.cancel("client went away", null);
        }

        public void halfClose() {
            requests.onCompleted();
        }

        /** Lets a stream opened not reading take {@code n} more responses. */
        public void request(int n) {
            call.request(n);
        }
    }

    public Recorded<DiscoveryRequest, DiscoveryResponse> sotw() {
        return sotw(true);
    }

    public Recorded<DeltaDiscoveryRequest, DeltaDiscoveryResponse> delta() {
        return delta(true);
    }

    /**
     * A stream whose client reads no response until {@link Recorded#request} (grpc-java's manual flow control,
     * unless {@code reading}): what the bridge writes fills the HTTP/2 window, then waits at the bridge.
     */
    public Recorded<DiscoveryRequest, DiscoveryResponse> sotw(boolean reading) {
        Recorded<DiscoveryRequest, DiscoveryResponse> rec = new Recorded<>();
        rec.requests = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(observer(rec, reading));
        return rec;
    }

    /** A delta stream; see {@link #sotw(boolean)}. */
    public Recorded<DeltaDiscoveryRequest, DeltaDiscoveryResponse> delta(boolean reading) {
        Recorded<DeltaDiscoveryRequest, DeltaDiscoveryResponse> rec = new Recorded<>();
        rec.requests = AggregatedDiscoveryServiceGrpc.newStub(channel).deltaAggregatedResources(observer(rec, reading));
        return rec;
    }

    /** Sends raw bytes as one request message of the state-of-the-world method. */
    public Recorded<byte[], byte[]> raw() {
        MethodDescriptor<byte[], byte[]> m = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
                .setFullMethodName("envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources")
                .setRequestMarshaller(new Bytes()).setResponseMarshaller(new Bytes()).build();
        Recorded<byte[], byte[]> rec = new Recorded<>();
        ClientCall<byte[], byte[]> call = channel.newCall(m, CallOptions.DEFAULT);
        rec.requests = ClientCalls.asyncBidiStreamingCall(call, observer(rec, true));
        return rec;
    }

    private static <Q, R> ClientResponseObserver<Q, R> observer(Recorded<Q, R> rec, boolean reading) {
        return new ClientResponseObserver<>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<Q> requestStream) {
                rec.call = requestStream;
                if (!reading) {
                    requestStream.disableAutoRequestWithInitial(0);
                }
            }

            @Override
            public void onNext(R value) {
                rec.responses.add(value);
            }

            @Override
            public void onError(Throwable t) {
                rec.end.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                rec.end.complete(Status.OK);
            }
        };
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
