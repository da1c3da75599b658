package io.meshfed.images;

/**
 * The CloudEvent a function's image is trained with, tested with and timed by: a real request of its kind that the
 * function answers with a CloudEvent after reading (and, for registration, writing) the management cluster of
 * {@link ManagementApi}.
 */
public enum FirstEvent {
    /** A registration without API access: validated, written as a MeshCluster, answered {@code cluster.registered}. */
    REGISTRATION("io.meshfed.cluster.registration.requested", null, """
            {"name":"west","network":"net-west","locality":{"region":"us-west1","zone":"us-west1-a"},
             "eastWestGateway":{"address":"192.0.2.20","port":15443},"trustDomain":"west.meshfed.example",
             "apiAccess":"none"}""", "io.meshfed.cluster.registered"),
    /**
     * A sync of {@code east}, registered without API access: its (empty) catalog is written and answered
     * {@code catalog.changed}; a repeated sync changes nothing and is answered without an event.
     */
    EXPORT("io.meshfed.service.export.sync", "east", "{}", "io.meshfed.catalog.changed"),
    /**
     * A CSR from {@code east}: the CA is loaded (made and stored on the first start), the token cannot be reviewed
     * (east gave no API access), so it is answered {@code csr.rejected}, as every caller who cannot authenticate is.
     */
    PKI("io.meshfed.csr.submitted", "east", """
            {"cluster":"east","requestId":"east-images-1","csr":"-----BEGIN CERTIFICATE REQUEST-----\\nMIIB\\n-----END CERTIFICATE REQUEST-----\\n",
             "lifetimeSeconds":86400,"token":"not-a-token"}""", "io.meshfed.csr.rejected"),
    /** The cold-start floor (images/floor/funqy, bench only): answered at once, nothing read. */
    FLOOR("io.meshfed.bench.floor", null, "{}", "io.meshfed.bench.floor.answered"),
    /** The floor with the Kubernetes client (images/floor/kubernetes): answered after one request to the API server. */
    FLOOR_KUBERNETES("io.meshfed.bench.floor", null, "{}", "io.meshfed.bench.floor.answered");

    public final String type;
    public final String subject;
    public final String data;
    public final String replyType;

    /**
     * Whether {@code reply} is this event's answer: {@link #replyType}, or, for a repeat of an export sync that
     * changed nothing, a success without an event.
     */
    public boolean answeredBy(CloudEventClient.Reply reply, boolean first) {
        if (reply.type().isPresent()) {
            return reply.type().get().equals(replyType);
        }
        return this == EXPORT && !first && reply.status() / 100 == 2;
    }

    FirstEvent(String type, String subject, String data, String replyType) {
        this.type = type;
        this.subject = subject;
        this.data = data;
        this.replyType = replyType;
    }
}
