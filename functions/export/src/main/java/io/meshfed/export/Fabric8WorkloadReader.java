package io.meshfed.export;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.MeshCluster;
import io.meshfed.store.WorkloadClusterClients;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Reads a workload cluster through fabric8 with the credentials stored at registration: ServiceExports
 * ({@code multicluster.x-k8s.io/v1alpha1}, read generically so the CRD's classes are not needed), Services
 * labelled {@code meshfed.io/export=true}, the exported Services' EndpointSlices, the Pods they select (for subset
 * labels) and the Nodes of endpoints without a zone.
 *
 * <p>Clients come from {@link WorkloadClusterClients}: every request is bounded by the configured connect and
 * request timeouts and is never retried here: a failed read is reported at once and the next sync event is the
 * retry. A client is built per read and closed after it, so rotated credentials take effect on the next sync.
 * Thread-safe.
 */
public final class Fabric8WorkloadReader implements WorkloadClusterReader {
    static final String SERVICE_EXPORT_API_VERSION = "multicluster.x-k8s.io/v1alpha1";
    static final String SERVICE_EXPORT_KIND = "ServiceExport";
    /** Given in full so that no API discovery round trip is needed (and a missing CRD is a plain 404). */
    static final ResourceDefinitionContext SERVICE_EXPORT = new ResourceDefinitionContext.Builder()
            .withGroup("multicluster.x-k8s.io").withVersion("v1alpha1").withKind(SERVICE_EXPORT_KIND)
            .withPlural("serviceexports").withNamespaced(true).build();

    private final WorkloadClusterClients clients;
    private final Duration requestTimeout;

    /**
     * @param httpClientFactory the HTTP client to use (shared, e.g. on the application's Vert.x); null for fabric8's
     *        default
     */
    public Fabric8WorkloadReader(HttpClient.Factory httpClientFactory, Duration connectTimeout,
            Duration requestTimeout) {
        this.clients = new WorkloadClusterClients(httpClientFactory, connectTimeout, requestTimeout);
        this.requestTimeout = requestTimeout;
    }

    @Override
    public WorkloadState read(MeshCluster cluster, ClusterCredentials credentials) throws RemoteReadException {
        if (!cluster.hasApiAccess()) {
            throw new IllegalArgumentException("cluster " + cluster.name() + " has no API access to read");
        }
        try (KubernetesClient client = clients.open(cluster, credentials)) {
            return readWith(client);
        } catch (KubernetesClientException e) {
            throw classify(cluster, e, requestTimeout);
        }
    }

    Config config(MeshCluster cluster, ClusterCredentials credentials) {
        return clients.config(cluster, credentials);
    }

    private static WorkloadState readWith(KubernetesClient client) {
        List<GenericKubernetesResource> exports = serviceExports(client);
        Map<String, Service> services = new LinkedHashMap<>();
        for (Service s : client.services().inAnyNamespace().withLabel(ExportDiscovery.EXPORT_LABEL, "true").list()
                .getItems()) {
            services.put(ExportDiscovery.key(s.getMetadata().getNamespace(), s.getMetadata().getName()), s);
        }
        for (GenericKubernetesResource export : exports) {
            String ns = export.getMetadata().getNamespace();
            String name = export.getMetadata().getName();
            String key = ExportDiscovery.key(ns, name);
            if (!services.containsKey(key)) {
                Service s = client.services().inNamespace(ns).withName(name).get();
                if (s != null) {
                    services.put(key, s);
                }
            }
        }

        List<EndpointSlice> slices = new ArrayList<>();
        Map<String, Pod> pods = new HashMap<>();
        Map<String, Node> nodes = new HashMap<>();
        for (Service service : services.values()) {
            String ns = service.getMetadata().getNamespace();
            List<EndpointSlice> own = client.discovery().v1().endpointSlices().inNamespace(ns)
                    .withLabel(ExportDiscovery.SERVICE_NAME_LABEL, service.getMetadata().getName()).list().getItems();
            slices.addAll(own);
            readPods(client, service, own, pods);
            readNodes(client, own, nodes);
        }
        return new WorkloadState(new ArrayList<>(services.values()), exports, slices, pods, nodes);
    }

    /** The ServiceExport CRD is optional: a cluster without it answers 404 and exports by label only. */
    private static List<GenericKubernetesResource> serviceExports(KubernetesClient client) {
        try {
            return client.genericKubernetesResources(SERVICE_EXPORT).inAnyNamespace().list().getItems();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return List.of();
            }
            throw e;
        }
    }

    /**
     * The Pods behind the endpoints: one list by the Service's selector when it has one, else one get per
     * referenced Pod (Services without a selector rarely reference Pods at all).
     */
    private static void readPods(KubernetesClient client, Service service, List<EndpointSlice> slices,
            Map<String, Pod> pods) {
        String ns = service.getMetadata().getNamespace();
        Map<String, String> selector = service.getSpec() == null ? null : service.getSpec().getSelector();
        if (selector != null && !selector.isEmpty()) {
            for (Pod pod : client.pods().inNamespace(ns).withLabels(selector).list().getItems()) {
                pods.put(ExportDiscovery.key(ns, pod.getMetadata().getName()), pod);
            }
            return;
        }
        for (EndpointSlice slice : slices) {
            for (Endpoint e : slice.getEndpoints() == null ? List.<Endpoint>of() : slice.getEndpoints()) {
                ObjectReference ref = e.getTargetRef();
                if (ref != null && "Pod".equals(ref.getKind()) && ref.getName() != null) {
                    String podNs = ref.getNamespace() == null ? ns : ref.getNamespace();
                    String key = ExportDiscovery.key(podNs, ref.getName());
                    if (!pods.containsKey(key)) {
                        Pod pod = client.pods().inNamespace(podNs).withName(ref.getName()).get();
                        if (pod != null) {
                            pods.put(key, pod);
                        }
                    }
                }
            }
        }
    }

    private static void readNodes(KubernetesClient client, List<EndpointSlice> slices, Map<String, Node> nodes) {
        for (EndpointSlice slice : slices) {
            for (Endpoint e : slice.getEndpoints() == null ? List.<Endpoint>of() : slice.getEndpoints()) {
                boolean needsZone = e.getZone() == null || e.getZone().isBlank();
                if (needsZone && e.getNodeName() != null && !nodes.containsKey(e.getNodeName())) {
                    Node node = client.nodes().withName(e.getNodeName()).get();
                    if (node != null) {
                        nodes.put(e.getNodeName(), node);
                    }
                }
            }
        }
    }

    static RemoteReadException classify(MeshCluster cluster, KubernetesClientException e, Duration timeout) {
        String where = cluster.apiServer().url();
        int code = e.getCode();
        if (code == 401) {
            return new RemoteReadException(FailureReason.UNAUTHORIZED,
                    where + " answered 401 Unauthorized: the stored credentials were not accepted", e);
        }
        if (code == 403) {
            return new RemoteReadException(FailureReason.FORBIDDEN,
                    where + " answered 403 Forbidden: " + statusMessage(e), e);
        }
        if (code == 429) {
            return new RemoteReadException(FailureReason.THROTTLED,
                    where + " answered 429 Too Many Requests, retry later: " + statusMessage(e), e);
        }
        if (code >= 500) {
            return new RemoteReadException(FailureReason.SERVER_ERROR,
                    where + " answered " + code + ": " + statusMessage(e), e);
        }
        if (code > 0) {
            return new RemoteReadException(FailureReason.UNEXPECTED_RESPONSE,
                    where + " answered " + code + ": " + statusMessage(e), e);
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLException || t instanceof GeneralSecurityException) {
                return new RemoteReadException(FailureReason.TLS,
                        "TLS with " + where + " failed: " + deepestMessage(t), e);
            }
            // Vert.x (NoStackTraceTimeoutException) and Netty (ConnectTimeoutException) timeouts share no JDK
            // supertype with the others, hence the name check.
            if (t instanceof SocketTimeoutException || t instanceof TimeoutException
                    || t instanceof java.net.http.HttpTimeoutException
                    || t.getClass().getSimpleName().contains("Timeout")) {
                return new RemoteReadException(FailureReason.TIMEOUT, where + " did not answer within "
                        + timeout.toMillis() + " ms", e);
            }
            if (t instanceof ConnectException || t instanceof UnknownHostException
                    || t instanceof NoRouteToHostException) {
                return new RemoteReadException(FailureReason.UNREACHABLE,
                        "cannot connect to " + where + ": " + t.getMessage(), e);
            }
        }
        return new RemoteReadException(FailureReason.UNEXPECTED_RESPONSE,
                "reading " + where + " failed: " + e.getMessage(), e);
    }

    /** The innermost cause names the actual problem ("PKIX path building failed", "No subject alternative..."). */
    private static String deepestMessage(Throwable t) {
        String message = t.getMessage();
        for (Throwable c = t.getCause(); c != null && c != t; c = c.getCause()) {
            if (c.getMessage() != null) {
                message = c.getMessage();
            }
            t = c;
        }
        return message;
    }

    private static String statusMessage(KubernetesClientException e) {
        if (e.getStatus() != null && e.getStatus().getMessage() != null) {
            return e.getStatus().getMessage();
        }
        return e.getMessage();
    }
}
