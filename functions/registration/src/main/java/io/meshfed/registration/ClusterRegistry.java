package io.meshfed.registration;

import io.meshfed.model.MeshCluster;
import io.meshfed.model.Violation;
import io.meshfed.registration.RejectionReason.Code;
import io.meshfed.store.ClusterStore;
import io.meshfed.store.ClusterStore.PutOutcome;
import io.meshfed.store.ClusterStore.StoredCluster;
import io.meshfed.store.ConcurrentChangeException;
import io.meshfed.store.status.ClusterStatusWriter;
import io.meshfed.store.status.ClusterStatusWriter.Condition;
import io.meshfed.store.status.ClusterStatusWriter.ConditionStatus;
import io.meshfed.store.status.ClusterStatusWriter.Report;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Registers and deregisters workload clusters. The Funqy function is a thin adapter over this class.
 *
 * <p>Order of a registration, nothing written before the last step: every field rule (all violations
 * reported together), gateway uniqueness and trust-domain ownership; then, unless the stored registration is already identical,
 * the API-server connectivity check; then one store write. At-least-once delivery is safe: a repeated
 * request finds an identical stored cluster and answers the same {@link Registered} without writing or
 * probing. Concurrent writers of one name are serialized by the store's optimistic concurrency; a loser
 * re-reads and decides again. Thread-safe.
 *
 * <p>A trust domain belongs to one registered cluster: the PKI signs each cluster's intermediate constrained to
 * its trust domain, so a second cluster claiming a taken one could mint identities of the first's workloads. An
 * operator who runs several clusters in one trust domain on purpose declares it shared
 * ({@code meshfed.registration.shared-trust-domains}).
 */
public final class ClusterRegistry {
    static final int MAX_CONFLICT_RETRIES = 5;

    private static final Logger LOG = Logger.getLogger(ClusterRegistry.class.getName());

    private final ClusterStore store;
    private final ApiServerProbe probe;
    private final ClusterStatusWriter status;
    private final Set<String> sharedTrustDomains;
    private final RegistrationValidator validator = new RegistrationValidator();

    public ClusterRegistry(ClusterStore store, ApiServerProbe probe) {
        this(store, probe, Set.of());
    }

    /** @param sharedTrustDomains trust domains the operator lets more than one cluster use */
    public ClusterRegistry(ClusterStore store, ApiServerProbe probe, Set<String> sharedTrustDomains) {
        this(store, probe, sharedTrustDomains, ClusterStatusWriter.NONE);
    }

    /**
     * @param status where a registration reports {@link ClusterStatusWriter#REGISTERED} and
     *     {@link ClusterStatusWriter#API_REACHABLE} of the cluster it registered; rejections report nothing (the
     *     request may come from someone other than the cluster's owner, and the registered cluster is unchanged)
     */
    public ClusterRegistry(ClusterStore store, ApiServerProbe probe, Set<String> sharedTrustDomains,
            ClusterStatusWriter status) {
        this.status = Objects.requireNonNull(status);
        this.store = Objects.requireNonNull(store);
        this.probe = Objects.requireNonNull(probe);
        this.sharedTrustDomains = Set.copyOf(sharedTrustDomains);
    }

    /** The outcome of a registration request. */
    public sealed interface RegistrationResult permits Registered, Rejected {
    }

    /** Stored (or already stored): {@code change} says whether this request created, updated or changed nothing. */
    public record Registered(MeshCluster cluster, long generation, ClusterStore.PutResult change)
            implements RegistrationResult {
    }

    /** Refused, with every reason found; nothing was written. {@code cluster} is the requested name, if any. */
    public record Rejected(String cluster, List<RejectionReason> reasons) implements RegistrationResult {
        public Rejected {
            if (reasons.isEmpty()) {
                throw new IllegalArgumentException("a rejection needs a reason");
            }
            reasons = List.copyOf(reasons);
        }
    }

    /** {@code existed} is false when there was nothing to remove (a repeated deregistration). */
    public record Deregistered(String cluster, boolean existed) {
    }

    public RegistrationResult register(RegistrationRequest request) {
        RegistrationResult result = decide(request);
        if (result instanceof Registered registered) {
            report(registered);
        }
        return result;
    }

    /**
     * Status is a report: a failed write is logged and the registration stands. A cluster written now was probed with
     * its credentials just before (or has no API access); an unchanged one was not asked again, so its
     * API-reachable condition is kept as it was.
     */
    private void report(Registered registered) {
        MeshCluster cluster = registered.cluster();
        Condition done = new Condition(ClusterStatusWriter.REGISTERED, ConditionStatus.TRUE, "Registered",
                "registered at generation " + registered.generation());
        Report report;
        if (registered.change() == ClusterStore.PutResult.UNCHANGED) {
            report = new Report(List.of(done), List.of(ClusterStatusWriter.API_REACHABLE), Optional.empty(),
                    Optional.empty());
        } else if (cluster.hasApiAccess()) {
            report = Report.of(done, new Condition(ClusterStatusWriter.API_REACHABLE, ConditionStatus.TRUE,
                    "Reachable", "GET /version at " + cluster.apiServer().url() + " answered with the credentials"));
        } else {
            report = Report.of(done, new Condition(ClusterStatusWriter.API_REACHABLE, ConditionStatus.UNKNOWN,
                    "NoApiAccess", "registered without API access"));
        }
        try {
            status.report(cluster.name(), report);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cluster {0}: registered, but its status was not written: {1}",
                    new Object[] {cluster.name(), e.toString()});
        }
    }

    private RegistrationResult decide(RegistrationRequest request) {
        RegistrationValidator.Outcome outcome = validator.validate(request);
        String name = request == null ? null : request.name();
        List<RejectionReason> reasons = new ArrayList<>();
        for (Violation v : outcome.violations()) {
            reasons.add(new RejectionReason(Code.INVALID_FIELD, v.field(), v.message()));
        }
        if (outcome.valid().isEmpty()) {
            return new Rejected(name, reasons);
        }
        RegistrationValidator.Valid valid = outcome.valid().get();
        MeshCluster cluster = valid.cluster();
        for (int attempt = 1; ; attempt++) {
            List<StoredCluster> others = store.list().stream()
                    .filter(other -> !other.cluster().name().equals(cluster.name()))
                    .toList();
            List<RejectionReason> clashes = new ArrayList<>();
            gatewayInUse(cluster, others).ifPresent(clashes::add);
            trustDomainInUse(cluster, others).ifPresent(clashes::add);
            if (!clashes.isEmpty()) {
                return new Rejected(name, clashes);
            }
            Optional<StoredCluster> stored = store.get(cluster.name());
            // the credentials Secret's name hashes the credentials, so equal clusters have equal credentials
            if (stored.isPresent() && stored.get().cluster().equals(cluster)) {
                return new Registered(cluster, stored.get().generation(), ClusterStore.PutResult.UNCHANGED);
            }
            Optional<RejectionReason> notOwner = ownershipNotProven(stored, cluster, valid);
            if (notOwner.isPresent()) {
                return new Rejected(name, List.of(notOwner.get()));
            }
            if (cluster.hasApiAccess()) {
                Optional<RejectionReason> unreachable = probe.check(cluster.apiServer(), valid.credentials().orElseThrow());
                if (unreachable.isPresent()) {
                    return new Rejected(name, List.of(unreachable.get()));
                }
            }
            try {
                PutOutcome put = store.put(cluster, valid.credentials());
                return new Registered(put.stored().cluster(), put.stored().generation(), put.result());
            } catch (ConcurrentChangeException e) {
                if (attempt >= MAX_CONFLICT_RETRIES) {
                    throw e;
                }
            }
        }
    }

    public Deregistered deregister(String name) {
        return new Deregistered(name, store.delete(name));
    }

    /**
     * A change to a cluster registered with API access must come from someone who holds credentials its
     * registered API server accepts: the same proof its first registration gave. So an update cannot drop API
     * access (that would skip the proof), and one that moves the API server must present credentials the
     * registered one accepts as well as the new one (the latter is the ordinary probe), unless they are the very
     * credentials stored for it (local mode's clusters come back on new ports with the same token). An update that
     * keeps the API server is proven by the ordinary probe. Clusters registered without API access have nothing to prove
     * ownership with: their updates are as trusted as the sender (see docs/security.md).
     */
    private Optional<RejectionReason> ownershipNotProven(Optional<StoredCluster> stored, MeshCluster cluster,
            RegistrationValidator.Valid valid) {
        if (stored.isEmpty() || !stored.get().cluster().hasApiAccess()) {
            return Optional.empty();
        }
        MeshCluster registered = stored.get().cluster();
        if (!cluster.hasApiAccess()) {
            return Optional.of(new RejectionReason(Code.OWNERSHIP_NOT_PROVEN, "apiAccess", "cluster '"
                    + registered.name() + "' is registered with API access; an update without credentials cannot"
                    + " prove it comes from the cluster's owner (deregister it first to change its access mode)"));
        }
        if (registered.apiServer().url().equals(cluster.apiServer().url())
                && registered.apiServer().caData().equals(cluster.apiServer().caData())) {
            return Optional.empty();
        }
        if (store.credentials(registered.name()).equals(valid.credentials())) {
            return Optional.empty(); // the very credentials the owner registered: as good a proof, and the only
                                     // one left when the registered API server is gone for good
        }
        return probe.check(registered.apiServer(), valid.credentials().orElseThrow())
                .map(refused -> new RejectionReason(Code.OWNERSHIP_NOT_PROVEN, "credentials", "cluster '"
                        + registered.name() + "' is registered at " + registered.apiServer().url()
                        + "; moving it needs credentials that API server accepts too, and it refused them: "
                        + refused.message()));
    }

    private static Optional<RejectionReason> gatewayInUse(MeshCluster cluster, List<StoredCluster> others) {
        return others.stream()
                .map(StoredCluster::cluster)
                .filter(other -> other.eastWestGateway().equals(cluster.eastWestGateway()))
                .findFirst()
                .map(other -> new RejectionReason(Code.GATEWAY_IN_USE, "eastWestGateway",
                        "address " + cluster.eastWestGateway().address() + ":" + cluster.eastWestGateway().port()
                                + " is already the east-west gateway of cluster '" + other.name() + "'"));
    }

    private Optional<RejectionReason> trustDomainInUse(MeshCluster cluster, List<StoredCluster> others) {
        if (sharedTrustDomains.contains(cluster.trustDomain())) {
            return Optional.empty();
        }
        return others.stream()
                .map(StoredCluster::cluster)
                .filter(other -> other.trustDomain().equals(cluster.trustDomain()))
                .findFirst()
                .map(other -> new RejectionReason(Code.TRUST_DOMAIN_IN_USE, "trustDomain",
                        "trust domain '" + cluster.trustDomain() + "' belongs to cluster '" + other.name()
                                + "'; an operator may declare it shared (meshfed.registration.shared-trust-domains)"));
    }
}
