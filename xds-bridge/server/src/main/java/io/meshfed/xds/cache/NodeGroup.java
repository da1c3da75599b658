package io.meshfed.xds.cache;

import java.util.Objects;

/**
 * The key clients share a snapshot under: the mesh cluster a client belongs to, which kind of configuration it
 * reads, and, for data-plane clients, the locality it runs in (endpoint priorities depend on it).
 *
 * <p>Envoy types (CDS, EDS, LDS, RDS) and Istio types over MCP are different groups: an Envoy never asks for a
 * ServiceEntry and an istiod never for a Cluster, so neither group builds, holds or patches the other's
 * resources. A stream that asks for both kinds watches both groups. An Istio group has no locality: istiod's
 * configuration depends only on its cluster. {@code locality} is "" when the client sent none, and then means
 * "the cluster's own locality".
 */
public record NodeGroup(String cluster, String locality, Kind kind) {

    /** Which configuration a group holds. */
    public enum Kind {
        /** CDS, EDS, LDS and RDS resources for Envoy and proxyless gRPC clients. */
        ENVOY,
        /** Istio resources over MCP for istiod. */
        ISTIO;

        /**
         * The kind that serves {@code typeUrl}: Envoy for protobuf type URLs ({@code type.googleapis.com/...}),
         * Istio for group/version/Kind type URLs and type keys.
         */
        public static Kind of(String typeUrl) {
            return typeUrl.startsWith(TypeUrls.PROTOBUF_PREFIX) ? ENVOY : ISTIO;
        }
    }

    public NodeGroup {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(kind, "kind");
        locality = locality == null || kind == Kind.ISTIO ? "" : locality;
    }

    /** An Envoy group. */
    public NodeGroup(String cluster, String locality) {
        this(cluster, locality, Kind.ENVOY);
    }

    /** The Envoy group of a cluster's own locality. */
    public static NodeGroup of(String cluster) {
        return new NodeGroup(cluster, "", Kind.ENVOY);
    }

    /** The Istio (MCP) group of a cluster. */
    public static NodeGroup istio(String cluster) {
        return new NodeGroup(cluster, "", Kind.ISTIO);
    }

    /** The group of the same client that serves {@code typeUrl}. */
    public NodeGroup forType(String typeUrl) {
        Kind k = Kind.of(typeUrl);
        return k == kind ? this : new NodeGroup(cluster, locality, k);
    }

    @Override
    public String toString() {
        if (kind == Kind.ISTIO) {
            return cluster + " (istio)";
        }
        return locality.isEmpty() ? cluster : cluster + "@" + locality;
    }
}
