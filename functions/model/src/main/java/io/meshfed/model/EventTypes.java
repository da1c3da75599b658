package io.meshfed.model;

/**
 * The CloudEvent types meshfed sends and handles, its own and Knative's (docs/events.md is their catalog). Knative Triggers, Funqy
 * mappings and tests refer to these names; a type that is not here is not part of meshfed.
 */
public final class EventTypes {
    public static final String PREFIX = "io.meshfed.";

    public static final String CLUSTER_REGISTRATION_REQUESTED = PREFIX + "cluster.registration.requested";
    public static final String CLUSTER_DEREGISTRATION_REQUESTED = PREFIX + "cluster.deregistration.requested";
    public static final String CLUSTER_REGISTERED = PREFIX + "cluster.registered";
    public static final String CLUSTER_REGISTRATION_REJECTED = PREFIX + "cluster.registration.rejected";
    public static final String CLUSTER_DEREGISTERED = PREFIX + "cluster.deregistered";

    public static final String SERVICE_EXPORT_SYNC = PREFIX + "service.export.sync";
    public static final String SERVICE_EXPORT_FAILED = PREFIX + "service.export.failed";
    public static final String CATALOG_CHANGED = PREFIX + "catalog.changed";
    /** A TrafficPolicy or AccessPolicy was written or deleted: the xDS bridge re-reads every policy (docs/policy.md). */
    public static final String POLICY_CHANGED = PREFIX + "policy.changed";

    public static final String CSR_SUBMITTED = PREFIX + "csr.submitted";
    public static final String CSR_SIGNED = PREFIX + "csr.signed";
    public static final String CSR_REJECTED = PREFIX + "csr.rejected";

    /** Sent by a Knative ApiServerSource watching a workload cluster; handled by the export function. */
    public static final String APISERVER_RESOURCE_ADD = "dev.knative.apiserver.resource.add";
    public static final String APISERVER_RESOURCE_UPDATE = "dev.knative.apiserver.resource.update";
    public static final String APISERVER_RESOURCE_DELETE = "dev.knative.apiserver.resource.delete";
    /** What an ApiServerSource in Reference mode sends: the changed object's reference only. */
    public static final String APISERVER_REF_ADD = "dev.knative.apiserver.ref.add";
    public static final String APISERVER_REF_UPDATE = "dev.knative.apiserver.ref.update";
    public static final String APISERVER_REF_DELETE = "dev.knative.apiserver.ref.delete";

    private EventTypes() {
    }
}
