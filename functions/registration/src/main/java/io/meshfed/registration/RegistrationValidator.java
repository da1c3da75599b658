package io.meshfed.registration;

import io.meshfed.model.ApiServerRef;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.Rules;
import io.meshfed.model.Violation;
import io.meshfed.model.Violations;
import io.meshfed.store.KubernetesClusterStore;
import java.util.List;
import java.util.Optional;

/**
 * Checks every field rule of a {@link RegistrationRequest} and reports all violations together; only a
 * request with none becomes a {@link MeshCluster}. Stateless and thread-safe.
 */
public final class RegistrationValidator {

    /** A request that passed every field rule. */
    public record Valid(MeshCluster cluster, Optional<ClusterCredentials> credentials) {
    }

    /** Either {@code valid} or a non-empty {@code violations}. */
    public record Outcome(Optional<Valid> valid, List<Violation> violations) {
    }

    public Outcome validate(RegistrationRequest r) {
        if (r == null) {
            return new Outcome(Optional.empty(), List.of(new Violation("data", "the event has no data")));
        }
        Violations v = new Violations();
        v.check("name", Rules.dns1123Label(r.name()));
        v.check("network", Rules.dns1123Label(r.network()));
        v.check("trustDomain", Rules.trustDomain(r.trustDomain()));
        if (r.locality() == null) {
            v.add("locality", "is required (region, and optionally zone)");
        } else {
            v.addAll("locality", Locality.validate(r.locality().region(), r.locality().zone()).list());
        }
        if (r.eastWestGateway() == null) {
            v.add("eastWestGateway", "is required (address and port)");
        } else {
            int port = r.eastWestGateway().port() == null ? GatewayAddress.ISTIO_EAST_WEST_PORT
                    : r.eastWestGateway().port();
            v.addAll("eastWestGateway", GatewayAddress.validate(r.eastWestGateway().address(), port).list());
        }
        String access = r.apiAccess() == null ? RegistrationRequest.API_ACCESS_CREDENTIALS : r.apiAccess();
        boolean withApi = access.equals(RegistrationRequest.API_ACCESS_CREDENTIALS);
        if (!withApi && !access.equals(RegistrationRequest.API_ACCESS_NONE)) {
            v.add("apiAccess", "must be 'credentials' or 'none', got '" + access + "'");
        } else if (withApi) {
            if (r.apiServer() == null) {
                v.add("apiServer", "is required unless apiAccess is 'none' (url and caData)");
            } else {
                // the Secret name is derived later from the credentials; validate the rest
                v.addAll("apiServer", ApiServerRef.validate(r.apiServer().url(), r.apiServer().caData(), "placeholder")
                        .list().stream().filter(x -> !x.field().equals("credentialsSecret")).toList());
            }
            var c = r.credentials();
            if (c == null) {
                v.add("credentials", "are required unless apiAccess is 'none' (a token, or a client certificate"
                        + " and key)");
            } else {
                // ClusterCredentials names its fields "credentials..." already
                ClusterCredentials.validate(c.token(), c.clientCertificate(), c.clientKey()).list()
                        .forEach(x -> v.add(x.field(), x.message()));
            }
        } else {
            if (r.apiServer() != null) {
                v.add("apiServer", "must be absent when apiAccess is 'none'");
            }
            if (r.credentials() != null) {
                v.add("credentials", "must be absent when apiAccess is 'none'");
            }
        }
        if (!v.isEmpty()) {
            return new Outcome(Optional.empty(), v.list());
        }
        Optional<ClusterCredentials> credentials = withApi ? Optional.of(new ClusterCredentials(
                r.credentials().token(), r.credentials().clientCertificate(), r.credentials().clientKey()))
                : Optional.empty();
        ApiServerRef api = credentials.map(c -> new ApiServerRef(r.apiServer().url(), r.apiServer().caData(),
                KubernetesClusterStore.credentialsSecretName(r.name(), c))).orElse(null);
        int port = r.eastWestGateway().port() == null ? GatewayAddress.ISTIO_EAST_WEST_PORT : r.eastWestGateway().port();
        MeshCluster cluster = new MeshCluster(r.name(), r.network(),
                new Locality(r.locality().region(), r.locality().zone()),
                new GatewayAddress(r.eastWestGateway().address(), port), r.trustDomain(), api);
        return new Outcome(Optional.of(new Valid(cluster, credentials)), List.of());
    }
}
