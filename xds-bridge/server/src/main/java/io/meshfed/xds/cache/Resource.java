package io.meshfed.xds.cache;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;

/**
 * One named resource at one version, serialized once: {@code body} is packed when the resource is first seen and
 * then shared by every snapshot and every client stream that sends it. {@code version} is a digest of the packed
 * bytes, so equal content always has an equal version, across restarts too. {@code digestHigh}/{@code digestLow}
 * digest name and version together: a {@link TypeSnapshot}'s version is their sum over its resources.
 *
 * <p>{@code sotwEntry} is the resource as one element of a state-of-the-world response's {@code resources} field,
 * tag and length included, so a response is written by copying these bytes one after another: nothing of a
 * resource is encoded again per response, however many clients get it (an istiod's response carries every
 * ServiceEntry of its cluster). {@code endsChunk} tells whether a {@link TypeSnapshot#sotwChunks chunk} of such
 * entries ends after this resource (it depends on the name only).
 */
public record Resource(String name, String version, Message message, Any body, ByteString sotwEntry, long digestHigh,
        long digestLow, boolean endsChunk) {
    /** {@code envoy.service.discovery.v3.DiscoveryResponse.resources}: field 2, length-delimited. */
    public static final int SOTW_RESOURCES_FIELD = 2;

    public Resource {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(sotwEntry, "sotwEntry");
    }

    /** Packs {@code message} (the Any's type URL is always the message's own proto type). */
    public static Resource pack(String name, Message message) {
        Any any = Any.pack(message);
        String version = Digests.of(any.getValue());
        long[] d = Digests.entry(name, version);
        return new Resource(name, version, message, any, sotwEntry(any), d[0], d[1], TypeSnapshot.endsChunk(name));
    }

    private static ByteString sotwEntry(Any any) {
        byte[] bytes = new byte[CodedOutputStream.computeMessageSize(SOTW_RESOURCES_FIELD, any)];
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        try {
            out.writeMessage(SOTW_RESOURCES_FIELD, any);
            out.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // an array of the computed size cannot overflow
        }
        return UnsafeByteOperations.unsafeWrap(bytes); // never written to again
    }

    /** Packed size in bytes, as it goes on the wire inside a response. */
    public int size() {
        return body.getSerializedSize();
    }
}
