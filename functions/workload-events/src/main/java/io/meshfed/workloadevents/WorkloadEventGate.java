package io.meshfed.workloadevents;

import static io.meshfed.pki.signing.CsrChecks.clip;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.meshfed.model.EventFailure;
import io.meshfed.model.EventTypes;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.Rules;
import io.meshfed.pki.signing.AuthenticationUnavailableException;
import io.meshfed.pki.signing.CallerAuthenticator;
import io.meshfed.pki.signing.RejectionReason;
import io.meshfed.store.ClusterStore;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.Set;

/**
 * The one way an event from a workload cluster enters meshfed. A workload cluster cannot show the management
 * cluster's Broker a token it can verify (the Broker trusts its own cluster's issuer only), so its change events
 * come here with a token of its own cluster, and this gate decides, in order:
 *
 * <ol>
 *   <li>the type is one a workload cluster may send: {@code dev.knative.apiserver.ref.add|update|delete} (an
 *       ApiServerSource watching the cluster in Reference mode, as shipped), the same in Resource mode
 *       ({@code dev.knative.apiserver.resource.*}), or {@code io.meshfed.service.export.sync} (else 403
 *       {@code type});</li>
 *   <li>it names one cluster: the {@value #CLUSTER_EXTENSION} extension of an ApiServerSource event, the subject of a
 *       sync, a DNS-1123 label (else 400);</li>
 *   <li>it carries a bearer token (else 401), and that cluster is registered (else 422);</li>
 *   <li>that cluster's own API server authenticates the token (TokenReview with meshfed's stored credentials,
 *       through the {@link CallerAuthenticator}), for meshfed's audience (else 403), as the configured sender's
 *       service account (else 403); a token it does not authenticate, or a cluster registered without API access,
 *       is 401; an API server that cannot be asked is 503 and the sender retries.</li>
 * </ol>
 *
 * <p>An admitted event is never passed on. What enters is a new {@code io.meshfed.service.export.sync} of the
 * authenticated cluster, with no data, from {@value #SOURCE}: the export function re-reads the cluster anyway, so
 * nothing a workload cluster writes reaches another function, and the most a cluster can do is make meshfed read
 * it again. Its id derives from the sender's, so a redelivery is recognizable. The token is never logged. Immutable
 * and thread-safe.
 */
public final class WorkloadEventGate {
    private static final System.Logger LOG = System.getLogger(WorkloadEventGate.class.getName());
    public static final String SOURCE = "meshfed/workload-events";
    /** The ApiServerSource extension naming the watched cluster (set with the source's ceOverrides). */
    public static final String CLUSTER_EXTENSION = "meshfedcluster";
    public static final String DEFAULT_AUDIENCE = "meshfed-workload-events";
    /** The OIDC identity Knative gives the ApiServerSource {@code meshfed-system/meshfed-export-watch}. */
    public static final String DEFAULT_SENDER = "meshfed-system/meshfed-export-watch-oidc-sources.knative.dev-apiserversource";
    static final Set<String> ADMITTED_TYPES = Set.of(EventTypes.APISERVER_REF_ADD, EventTypes.APISERVER_REF_UPDATE,
            EventTypes.APISERVER_REF_DELETE, EventTypes.APISERVER_RESOURCE_ADD, EventTypes.APISERVER_RESOURCE_UPDATE,
            EventTypes.APISERVER_RESOURCE_DELETE, EventTypes.SERVICE_EXPORT_SYNC);
    private static final int MAX_TOKEN_CHARS = 16 * 1024;
    private static final String BEARER = "bearer ";

    private final ClusterStore clusters;
    private final CallerAuthenticator authenticator;
    private final Clock clock;

    /**
     * @param authenticator TokenReviews against the claimed cluster, for the workload-events audience and the
     *     sender's service account
     */
    public WorkloadEventGate(ClusterStore clusters, CallerAuthenticator authenticator, Clock clock) {
        this.clusters = clusters;
        this.authenticator = authenticator;
        this.clock = clock;
    }

    /**
     * The export sync to post for {@code event}, sent with the HTTP {@code Authorization} header {@code authorization}.
     *
     * @throws EventFailure BAD_EVENT, UNAUTHENTICATED, FORBIDDEN, UNKNOWN_CLUSTER or UNAVAILABLE, as the class
     *     comment lists; nothing is posted then
     */
    public CloudEvent admit(CloudEvent event, String authorization) {
        String type = event.getType();
        if (!ADMITTED_TYPES.contains(type)) {
            throw refusal(EventFailure.Kind.FORBIDDEN, "type", "type '" + clip(type) + "' does not enter through"
                    + " workload events; only " + String.join(", ", ADMITTED_TYPES.stream().sorted().toList()), event);
        }
        String cluster = claimedCluster(event);
        String token = bearerToken(authorization, event);
        Optional<ClusterStore.StoredCluster> registration = clusters.get(cluster);
        if (registration.isEmpty()) {
            throw refusal(EventFailure.Kind.UNKNOWN_CLUSTER, clusterField(type), "cluster '" + cluster
                    + "' is not registered", event);
        }
        MeshCluster registered = registration.get().cluster();
        CallerAuthenticator.Authentication authentication;
        try {
            authentication = authenticator.authenticate(registered, token);
        } catch (AuthenticationUnavailableException e) {
            LOG.log(Level.WARNING, "cannot authenticate a workload event of cluster {0} now: {1}", cluster,
                    e.getMessage());
            throw new EventFailure(EventFailure.Kind.UNAVAILABLE, "authorization", "cluster '" + cluster
                    + "' cannot review the sender's token now; retry later", e);
        }
        if (authentication instanceof CallerAuthenticator.Refused refused) {
            EventFailure.Kind kind = refused.rejection().reason() == RejectionReason.UNAUTHENTICATED
                    ? EventFailure.Kind.UNAUTHENTICATED : EventFailure.Kind.FORBIDDEN;
            throw refusal(kind, "authorization", refused.rejection().reason() + ": " + refused.rejection().message(),
                    event);
        }
        String sender = ((CallerAuthenticator.Authenticated) authentication).identity();
        LOG.log(Level.DEBUG, "admitted {0} of cluster {1} from {2}", type, cluster, sender);
        return CloudEventBuilder.v1()
                .withId("workload/" + cluster + "/" + clip(event.getId()))
                .withType(EventTypes.SERVICE_EXPORT_SYNC)
                .withSource(URI.create(SOURCE))
                .withSubject(cluster)
                .withTime(OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC))
                .build();
    }

    private static String claimedCluster(CloudEvent event) {
        boolean sync = EventTypes.SERVICE_EXPORT_SYNC.equals(event.getType());
        Object claimed = sync ? event.getSubject() : event.getExtension(CLUSTER_EXTENSION);
        String field = clusterField(event.getType());
        if (claimed == null) {
            throw refusal(EventFailure.Kind.BAD_EVENT, field, (sync ? "the subject" : "the extension "
                    + CLUSTER_EXTENSION) + " must name the cluster the event is about", event);
        }
        String cluster = claimed.toString();
        Optional<String> problem = Rules.dns1123Label(cluster);
        if (problem.isPresent()) {
            throw refusal(EventFailure.Kind.BAD_EVENT, field, "cluster " + problem.get(), event);
        }
        return cluster;
    }

    private static String clusterField(String type) {
        return EventTypes.SERVICE_EXPORT_SYNC.equals(type) ? "subject" : CLUSTER_EXTENSION;
    }

    private static String bearerToken(String authorization, CloudEvent event) {
        if (authorization == null || authorization.length() <= BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            throw refusal(EventFailure.Kind.UNAUTHENTICATED, "authorization", "send 'Authorization: Bearer <token>'"
                    + " with a token of this cluster's sender service account for the audience " + DEFAULT_AUDIENCE
                    + " (or the configured one)", event);
        }
        String token = authorization.substring(BEARER.length()).trim();
        if (token.isEmpty() || token.length() > MAX_TOKEN_CHARS) {
            throw refusal(EventFailure.Kind.UNAUTHENTICATED, "authorization", "the bearer token is "
                    + token.length() + " characters; a service-account token has 1 to " + MAX_TOKEN_CHARS, event);
        }
        return token;
    }

    private static EventFailure refusal(EventFailure.Kind kind, String field, String message, CloudEvent event) {
        LOG.log(Level.INFO, "refused {0} (id {1}, source {2}): {3}", clip(event.getType()), clip(event.getId()),
                event.getSource() == null ? "" : clip(event.getSource().toString()), message);
        return new EventFailure(kind, field, message, null);
    }
}
