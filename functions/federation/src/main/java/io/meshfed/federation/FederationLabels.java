package io.meshfed.federation;

/** Labels and annotations meshfed puts on the Istio objects it generates, and the Istio names it relies on. */
public final class FederationLabels {
    /** Every generated object: {@code app.kubernetes.io/managed-by: meshfed}. */
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGER = "meshfed";
    /**
     * "cluster" for {@code <svc>.<ns>.svc.<cluster>.global}, "clusterset" for the cluster-set host, "gateway", and
     * "endpoint" for a WorkloadEntry.
     */
    public static final String HOST_KIND = "meshfed.io/host-kind";
    /** The exporting cluster of a cluster-specific host; the owning cluster of a Gateway. */
    public static final String SOURCE_CLUSTER = "meshfed.io/source-cluster";
    /**
     * The exported service's name, on every WorkloadEntry carrying one of its endpoints: a ServiceEntry selects its
     * endpoints with it (and, for a cluster-specific host, with {@link #SOURCE_CLUSTER}).
     */
    public static final String SERVICE = "meshfed.io/service";
    /** Annotation on cluster-set objects: the exporting clusters, comma-separated, sorted. */
    public static final String SOURCE_CLUSTERS = "meshfed.io/source-clusters";
    /** Annotation: the instant since which the source cluster's catalog has been stale (ISO-8601). */
    public static final String STALE_SINCE = "meshfed.io/stale-since";
    /**
     * Annotation: clusters whose endpoints are withheld because their catalog is stale beyond the grace period
     * (comma-separated, sorted).
     */
    public static final String ENDPOINTS_WITHHELD = "meshfed.io/endpoints-withheld";
    /** Annotation on the Gateway: the owning cluster's catalog version. */
    public static final String CATALOG_VERSION = "meshfed.io/catalog-version";

    /** Istio's well-known label naming the cluster of a workload (carried on every endpoint). */
    public static final String ISTIO_CLUSTER = "topology.istio.io/cluster";
    public static final String ISTIO_NETWORK = "topology.istio.io/network";
    public static final String K8S_REGION = "topology.kubernetes.io/region";
    public static final String K8S_ZONE = "topology.kubernetes.io/zone";

    /** The label selecting Istio's east-west gateway pods (istio/istio samples/multicluster/gen-eastwest-gateway). */
    public static final String EAST_WEST_SELECTOR_KEY = "istio";
    public static final String EAST_WEST_SELECTOR_VALUE = "eastwestgateway";
    /** Namespace of the generated Gateway. */
    public static final String GATEWAY_NAMESPACE = "istio-system";
    public static final String GATEWAY_NAME = "meshfed-eastwest";

    private FederationLabels() {
    }
}
