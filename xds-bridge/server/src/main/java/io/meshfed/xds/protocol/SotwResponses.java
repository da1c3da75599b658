package io.meshfed.xds.protocol;

import io.envoyproxy.envoy.config.core.v3.ControlPlane;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.meshfed.xds.cache.Resource;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.List;

/**
 * Encodes a state-of-the-world {@code DiscoveryResponse} straight into one buffer: the few per-response fields
 * (version, type URL, nonce, control plane) encoded here, then each resource's pre-encoded {@code resources}
 * element ({@link Resource#sotwEntry()}) copied in. Protobuf parsers accept fields in any order and append
 * repeated elements in the order met, so the bytes parse to the same message a builder would produce, at the cost
 * of one copy of the resources' bytes.
 */
final class SotwResponses {
    private SotwResponses() {
    }

    /** The encoded response; the caller owns (and releases) the buffer. */
    static ByteBuf encode(ByteBufAllocator allocator, String typeUrl, String version, String nonce,
            ControlPlane controlPlane, List<Resource> resources) {
        DiscoveryResponse.Builder head = DiscoveryResponse.newBuilder().setTypeUrl(typeUrl).setVersionInfo(version)
                .setNonce(nonce);
        if (controlPlane != null) {
            head.setControlPlane(controlPlane);
        }
        byte[] headBytes = head.build().toByteArray();
        long total = headBytes.length;
        for (Resource r : resources) {
            total += r.sotwEntry().size();
        }
        if (total > Integer.MAX_VALUE - 5) {
            throw new IllegalStateException(typeUrl + " response of " + resources.size() + " resources would be "
                    + total + " bytes, more than one gRPC message can carry");
        }
        ByteBuf out = allocator.directBuffer((int) total, (int) total);
        try {
            out.writeBytes(headBytes);
            for (Resource r : resources) {
                out.writeBytes(r.sotwEntry().asReadOnlyByteBuffer());
            }
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }
}
