package io.meshfed.xds.cache;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import java.util.Objects;

/**
 * One named resource at one version, serialized once: {@code body} is packed when the resource is first seen and
 * then shared by every snapshot and every client stream that sends it. {@code version} is a digest of the packed
 * bytes, so equal content always has an equal version, across restarts too. {@code digestHigh}/{@code digestLow}
 * digest name and version together: a {@link TypeSnapshot}'s version is their sum over its resources.
 */
public record Resource(String name, String version, Message message, Any body, long digestHigh, long digestLow) {
    public Resource {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(body, "body");
    }

    /** Packs {@code message} (the Any's type URL is always the message's own proto type). */
    public static Resource pack(String name, Message message) {
        Any any = Any.pack(message);
        String version = Digests.of(any.getValue());
        long[] d = Digests.entry(name, version);
        return new Resource(name, version, message, any, d[0], d[1]);
    }

    /** Packed size in bytes, as it goes on the wire inside a response. */
    public int size() {
        return body.getSerializedSize();
    }
}
