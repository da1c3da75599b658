package io.meshfed.xds.protocol;

import io.meshfed.xds.cache.TypeSnapshot;
import io.netty.util.NetUtil;
import java.util.Optional;

/**
 * One of the {@code count} config sources an istiod splits meshfed's Istio resources over, named by the loopback
 * address it dials: {@code 127.0.<count>.<index>} (1 ≤ index ≤ count ≤ {@value #MAX_COUNT}). istiod keeps one
 * client and one store per {@code xds://} source and merges them per type, so an istiod with
 * {@code xds://127.0.4.1:15011} ... {@code xds://127.0.4.4:15011} in its mesh config (each address served by its
 * xDS relay) reads four disjoint quarters of its Istio resources, and a change re-sends only the quarter that holds
 * it. The address reaches the bridge unchanged as the stream's {@code :authority} (the relay parses nothing). A
 * resource belongs to the shard {@code mix(name.hashCode()) mod count}: Java's String hash is specified, so every
 * replica and every restart agrees, and the split lasts as long as the istiod's mesh config. Envoy types are
 * never sharded.
 */
public record Shard(int index, int count) {
    public static final int MAX_COUNT = 64;

    public Shard {
        if (count < 2 || count > MAX_COUNT || index < 1 || index > count) {
            throw new IllegalArgumentException("shard " + index + " of " + count + ": need 1 <= index <= count, "
                    + "2 <= count <= " + MAX_COUNT);
        }
    }

    /**
     * The shard an {@code :authority} names, empty for any authority that is not {@code 127.0.<count>.<index>}
     * (with or without a port): such a stream reads every resource.
     */
    public static Optional<Shard> fromAuthority(String authority) {
        if (authority == null) {
            return Optional.empty();
        }
        byte[] ip = NetUtil.createByteArrayFromIpAddressString(ClusterIdentifier.hostOf(authority));
        if (ip == null || ip.length != 4 || ip[0] != 127 || ip[1] != 0) {
            return Optional.empty();
        }
        int count = ip[2] & 0xff;
        int index = ip[3] & 0xff;
        if (count < 2 || count > MAX_COUNT || index < 1 || index > count) {
            return Optional.empty();
        }
        return Optional.of(new Shard(index, count));
    }

    /**
     * What a replica standing by ({@link io.meshfed.xds.cache.SnapshotCache#standBy}) makes ready in each group it
     * keeps built, so the first response of a client that moves to it is written from shared chunks at once: an
     * istiod group's types split into {@code configSources} shares and each share's chunks encoded (the whole
     * type's chunks when istiods read one source), an Envoy group's types' chunks.
     */
    public static java.util.function.BiConsumer<io.meshfed.xds.cache.NodeGroup, io.meshfed.xds.cache.Snapshot>
            preparing(int configSources) {
        if (configSources < 1 || configSources > MAX_COUNT) {
            throw new IllegalArgumentException("config sources per istiod: " + configSources + ", need 1 to "
                    + MAX_COUNT);
        }
        return (group, snapshot) -> {
            for (TypeSnapshot ts : snapshot.types().values()) {
                if (group.kind() == io.meshfed.xds.cache.NodeGroup.Kind.ISTIO && configSources > 1) {
                    for (int i = 0; i < configSources; i++) {
                        ts.part(configSources, i).sotwChunks();
                    }
                } else {
                    ts.sotwChunks();
                }
            }
        };
    }

    /** Whether the resource named {@code name} is this shard's. */
    public boolean holds(String name) {
        return TypeSnapshot.partOf(name, count) == index - 1;
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }
}
