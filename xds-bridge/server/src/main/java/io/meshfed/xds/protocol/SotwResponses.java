package io.meshfed.xds.protocol;

import io.envoyproxy.envoy.config.core.v3.ControlPlane;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.meshfed.xds.cache.Resource;
import io.meshfed.xds.cache.TypeSnapshot;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Encodes state-of-the-world {@code DiscoveryResponse}s from pre-encoded resources: the few per-response fields
 * (version, type URL, nonce, control plane) are encoded here, followed by the resources' {@code resources} entries
 * ({@link Resource#sotwEntry()}) as they are. Protobuf parsers accept fields in any order and append repeated
 * elements in the order met, so the bytes parse to the message a builder would make of the same resources.
 */
final class SotwResponses {
    private SotwResponses() {
    }

    /** A response carrying {@code resources} (a named subscription's), in one array. */
    static ByteBuf encode(String typeUrl, String version, String nonce, ControlPlane controlPlane,
            List<Resource> resources) {
        byte[] head = head(typeUrl, version, nonce, controlPlane);
        long total = head.length;
        for (Resource r : resources) {
            total += r.sotwEntry().size();
        }
        byte[] out = new byte[checkedSize(typeUrl, total)];
        System.arraycopy(head, 0, out, 0, head.length);
        int at = head.length;
        for (Resource r : resources) {
            r.sotwEntry().copyTo(out, at);
            at += r.sotwEntry().size();
        }
        return Unpooled.wrappedBuffer(out);
    }

    /**
     * A response carrying every resource of {@code snapshot}, assembled from its shared chunks
     * ({@link TypeSnapshot#sotwChunks}) without copying them: however many clients get the state, its bytes exist
     * once. Every part is direct memory, so the connection hands them to the socket as they are.
     */
    static ByteBuf encodeAll(String typeUrl, String version, String nonce, ControlPlane controlPlane,
            TypeSnapshot snapshot) {
        return encodeChunks(typeUrl, version, nonce, controlPlane, snapshot.sotwChunks());
    }

    /** A response carrying one part of a type ({@link TypeSnapshot.Part#sotwChunks}), its chunks shared likewise. */
    static ByteBuf encodePart(String typeUrl, String version, String nonce, ControlPlane controlPlane,
            TypeSnapshot.Part part) {
        return encodeChunks(typeUrl, version, nonce, controlPlane, part.sotwChunks());
    }

    private static ByteBuf encodeChunks(String typeUrl, String version, String nonce, ControlPlane controlPlane,
            List<ByteBuffer> chunks) {
        byte[] head = head(typeUrl, version, nonce, controlPlane);
        long total = head.length;
        for (ByteBuffer chunk : chunks) {
            total += chunk.remaining();
        }
        checkedSize(typeUrl, total);
        CompositeByteBuf out = PooledByteBufAllocator.DEFAULT.compositeDirectBuffer(chunks.size() + 1);
        try {
            out.addComponent(true, PooledByteBufAllocator.DEFAULT.directBuffer(head.length).writeBytes(head));
            for (ByteBuffer chunk : chunks) {
                // a view of the shared chunk: releasing it frees nothing, the garbage collector owns the chunk
                out.addComponent(true, Unpooled.wrappedBuffer(chunk.duplicate()));
            }
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }

    private static byte[] head(String typeUrl, String version, String nonce, ControlPlane controlPlane) {
        DiscoveryResponse.Builder head = DiscoveryResponse.newBuilder().setTypeUrl(typeUrl).setVersionInfo(version)
                .setNonce(nonce);
        if (controlPlane != null) {
            head.setControlPlane(controlPlane);
        }
        return head.build().toByteArray();
    }

    private static int checkedSize(String typeUrl, long total) {
        if (total > Integer.MAX_VALUE - 5) {
            throw new IllegalStateException("a " + typeUrl + " response would be " + total
                    + " bytes, more than one gRPC message can carry");
        }
        return (int) total;
    }
}
