package io.meshfed.xds.bench;

import com.google.protobuf.CodedInputStream;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Detachable;
import io.grpc.HasByteBuffer;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * How the istiod-like clients decode their responses (one istiod's full ServiceEntry state is ~9 MB at 100 x 100):
 * the whole {@link DiscoveryResponse}, each resource's {@code Any} included, read from the transport's own buffers
 * (grpc-java's {@link Detachable} / {@link HasByteBuffer} path) with the resources' bytes aliased, not copied.
 * grpc-java's default marshaller parses a message over 4 MiB byte by byte from a stream; the stand-ins share the
 * bridge's two cores, so their decoding cost counts in the push-to-ACK figures.
 */
final class IstiodResponses {
    /** What an istiod-like client needs of a response to check it and ACK it. */
    record Received(String versionInfo, String nonce, String typeUrl, int resources) {
    }

    private IstiodResponses() {
    }

    /** The ADS state-of-the-world method, answering {@link Received} responses. */
    static MethodDescriptor<DiscoveryRequest, Received> method() {
        return AggregatedDiscoveryServiceGrpc.getStreamAggregatedResourcesMethod().toBuilder(
                ProtoUtils.marshaller(DiscoveryRequest.getDefaultInstance()), new ReceivedMarshaller()).build();
    }

    private static final class ReceivedMarshaller implements MethodDescriptor.Marshaller<Received> {
        @Override
        public InputStream stream(Received value) {
            throw new UnsupportedOperationException("the bench clients only receive responses");
        }

        @Override
        public Received parse(InputStream stream) {
            try (InputStream held = stream instanceof Detachable d && stream instanceof HasByteBuffer h
                    && h.byteBufferSupported() ? d.detach() : stream) {
                CodedInputStream in = held instanceof HasByteBuffer h && h.byteBufferSupported()
                        ? CodedInputStream.newInstance(buffers(held))
                        : CodedInputStream.newInstance(held);
                in.enableAliasing(true);
                in.setSizeLimit(Integer.MAX_VALUE);
                DiscoveryResponse r = DiscoveryResponse.parseFrom(in);
                return new Received(r.getVersionInfo(), r.getNonce(), r.getTypeUrl(), r.getResourcesCount());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /**
         * The stream's content as the transport's buffers, in order. The mark keeps the buffers that the walk skips
         * from being released before the stream is closed.
         */
        private static List<ByteBuffer> buffers(InputStream held) throws IOException {
            HasByteBuffer h = (HasByteBuffer) held;
            held.mark(held.available());
            List<ByteBuffer> out = new ArrayList<>();
            for (ByteBuffer b = h.getByteBuffer(); b != null && b.hasRemaining(); b = h.getByteBuffer()) {
                out.add(b);
                long skipped = held.skip(b.remaining());
                if (skipped != b.remaining()) {
                    throw new IOException("transport buffer skipped " + skipped + " of " + b.remaining() + " bytes");
                }
            }
            held.reset();
            return out;
        }
    }
}
