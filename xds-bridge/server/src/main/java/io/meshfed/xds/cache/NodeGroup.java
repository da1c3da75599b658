package io.meshfed.xds.cache;

import java.util.Objects;

/**
 * The key clients share a snapshot under: the mesh cluster a client belongs to and, for data-plane clients, the
 * locality it runs in (endpoint priorities depend on it). {@code locality} is "" when the client sent none, and
 * then means "the cluster's own locality".
 */
public record NodeGroup(String cluster, String locality) {
    public NodeGroup {
        Objects.requireNonNull(cluster, "cluster");
        locality = locality == null ? "" : locality;
    }

    public static NodeGroup of(String cluster) {
        return new NodeGroup(cluster, "");
    }

    @Override
    public String toString() {
        return locality.isEmpty() ? cluster : cluster + "@" + locality;
    }
}
