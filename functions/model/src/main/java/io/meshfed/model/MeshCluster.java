package io.meshfed.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A registered workload cluster: its own istiod, its own network, one east-west gateway.
 *
 * <p>{@code apiServer} is null for clusters registered in "no API access" mode: they only consume federated
 * config and export nothing that meshfed discovers itself.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MeshCluster(
        String name,
        String network,
        Locality locality,
        GatewayAddress eastWestGateway,
        String trustDomain,
        ApiServerRef apiServer) {

    public MeshCluster {
        Violations v = new Violations()
                .check("name", Rules.dns1123Label(name))
                .check("network", Rules.dns1123Label(network))
                .check("locality", Rules.required(locality))
                .check("eastWestGateway", Rules.required(eastWestGateway))
                .check("trustDomain", Rules.trustDomain(trustDomain));
        v.throwIfAny();
    }

    @JsonIgnore
    public boolean hasApiAccess() {
        return apiServer != null;
    }

    /**
     * This cluster as the federation sees it: everything but how meshfed reaches its API server, which only the
     * registration, export and PKI functions use. Catalogs carry this, so moving a cluster's API server, or
     * rotating its CA, changes no catalog and re-sends nothing to any istiod.
     */
    public MeshCluster federated() {
        return apiServer == null ? this : new MeshCluster(name, network, locality, eastWestGateway, trustDomain, null);
    }

    /** The SPIFFE URI prefix every workload identity of this cluster starts with. */
    @JsonIgnore
    public String spiffePrefix() {
        return "spiffe://" + trustDomain + "/";
    }
}
