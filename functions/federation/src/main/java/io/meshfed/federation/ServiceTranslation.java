package io.meshfed.federation;

import io.fabric8.istio.api.api.networking.v1alpha3.ServicePort;
import io.fabric8.istio.api.api.networking.v1alpha3.Subset;
import io.fabric8.istio.api.api.networking.v1alpha3.WorkloadEntry;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.meshfed.model.ExportedService;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.ServiceEndpoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The per-service translation rules: host names, object names, endpoints, subsets. Pure static functions.
 *
 * <p>Names: every object lives in the exported service's namespace (so a DestinationRule there applies to every
 * client of the host, and a user's own DestinationRule in the client namespace still takes precedence). The
 * object for {@code <svc>.<ns>.svc.<cluster>.global} is named {@code <svc>.<cluster>.global}, the one for
 * {@code <svc>.<ns>.svc.clusterset.local} is named {@code <svc>.clusterset}: DNS-1123 subdomains, and unique,
 * because neither service nor cluster names may contain a dot.
 */
final class ServiceTranslation {
    /** Subsets are derived from the first of these label keys that any endpoint of the host carries. */
    static final List<String> SUBSET_LABEL_KEYS = List.of("version", "app.kubernetes.io/version");

    /**
     * One host's objects as a target sees them: its ServiceEntry and DestinationRule, the endpoints the
     * ServiceEntry routes to ({@code endpoints}: inline in it or carried by its own WorkloadEntries; empty for a
     * cluster-set host that selects its exporters' entries), and the
     * WorkloadEntries this translation owns (a cluster-specific host's, sorted by name; none for the cluster-set
     * host, which selects its exporters' entries).
     */
    record Translated(ServiceEntry serviceEntry, DestinationRule destinationRule, List<WorkloadEntry> endpoints,
            List<io.fabric8.istio.api.networking.v1.WorkloadEntry> workloadEntries) {
    }

    private ServiceTranslation() {
    }

    static String clusterHost(String namespace, String name, String cluster) {
        return name + "." + namespace + ".svc." + cluster + ".global";
    }

    static String clustersetHost(String namespace, String name) {
        return name + "." + namespace + ".svc.clusterset.local";
    }

    static String clusterObjectName(String name, String cluster) {
        return name + "." + cluster + ".global";
    }

    static String clustersetObjectName(String name) {
        return name + ".clusterset";
    }

    /** The {@code <svc>.<cluster>.global} ServiceEntry and DestinationRule as {@code targetNetwork} sees them. */
    static Translated clusterSpecific(ClusterView source, ExportedService service, String targetNetwork, String vip,
            SharedPieces pieces) {
        MeshCluster cluster = source.cluster();
        boolean direct = cluster.network().equals(targetNetwork);
        boolean dns = viaNamedGateway(source, targetNetwork);
        List<ServicePort> ports = pieces.ports(service.ports());
        List<WorkloadEntry> endpoints = new ArrayList<>(service.endpoints().size());
        if (!source.withheld()) {
            addEndpoints(endpoints, source, service, direct, service.ports(), dns ? null : service.name(), pieces);
        }
        Map<String, String> labels = pieces.clusterLabels(cluster.name());
        Map<String, String> annotations = Map.of();
        if (source.catalog().isStale()) {
            annotations = new TreeMap<>();
            annotations.put(FederationLabels.STALE_SINCE, source.catalog().staleSince().toString());
            if (source.withheld()) {
                annotations.put(FederationLabels.ENDPOINTS_WITHHELD, cluster.name());
            }
        }
        String name = clusterObjectName(service.name(), cluster.name());
        String host = clusterHost(service.namespace(), service.name(), cluster.name());
        // one read-only ObjectMeta for both objects: they have the same name, labels and annotations
        ObjectMeta meta = IstioResources.metadata(service.namespace(), name, labels, annotations);
        DestinationRule dr = IstioResources.destinationRule(meta, host, subsets(List.of(service), pieces));
        if (dns) {
            // a gateway known by name: istiod resolves it, and a DNS entry costs a full push whatever carries it
            ServiceEntry se = IstioResources.serviceEntry(meta, host, vip, ports, true, endpoints, null);
            return new Translated(se, dr, endpoints, List.of());
        }
        ServiceEntry se = IstioResources.serviceEntry(meta, host, vip, ports, false, List.of(),
                pieces.selector(service.name(), cluster.name()));
        return new Translated(se, dr, endpoints,
                workloadEntries(service.namespace(), name, service.name(), cluster.name(), endpoints, pieces));
    }

    /**
     * The WorkloadEntries carrying {@code endpoints}, sorted by name: {@code <object name>.<suffix>}, where the
     * suffix names what the entry stands for, so that an endpoint keeps its entry's name while its weight changes:
     * {@code ep-<address>} for a pod reached directly, {@code gw-<hash of locality and labels>} for a group of
     * pods behind the gateway. An entry's metadata labels are its selector labels and meshfed's own.
     */
    static List<io.fabric8.istio.api.networking.v1.WorkloadEntry> workloadEntries(String namespace,
            String objectName, String service, String cluster, List<WorkloadEntry> endpoints, SharedPieces pieces) {
        if (endpoints.isEmpty()) {
            return List.of();
        }
        Map<String, String> labels = pieces.workloadEntryLabels(service, cluster);
        TreeMap<String, io.fabric8.istio.api.networking.v1.WorkloadEntry> byName = new TreeMap<>();
        for (WorkloadEntry ep : endpoints) {
            String base = objectName + "." + (ep.getWeight() == null ? "ep-" + addressLabel(ep.getAddress())
                    : "gw-" + groupHash(ep.getLocality(), ep.getLabels()));
            String entryName = base;
            for (int n = 2; byName.containsKey(entryName); n++) {
                entryName = base + "-" + n; // a repeated address or a hash collision: still one entry each
            }
            byName.put(entryName, IstioResources.workloadEntry(
                    IstioResources.metadata(namespace, entryName, labels, Map.of()), ep));
        }
        return List.copyOf(byName.values());
    }

    /** An IP address as a DNS label: '.' and ':' become '-', and a trailing '-' (IPv6 "::") gets a '0'. */
    static String addressLabel(String address) {
        String s = address.toLowerCase(Locale.ROOT).replace('.', '-').replace(':', '-');
        return s.endsWith("-") ? s + "0" : s;
    }

    /** A stable 8-hex-digit hash of an endpoint group's locality and labels (the same on every replica). */
    static String groupHash(String locality, Map<String, String> labels) {
        int h = 0x811c9dc5; // FNV-1a, 32 bits
        String key = locality + "|" + new TreeMap<>(labels);
        for (int i = 0; i < key.length(); i++) {
            h = (h ^ key.charAt(i)) * 0x01000193;
        }
        return String.format("%08x", h);
    }

    /**
     * One exporter of a cluster-set host: the cluster, its copy of the service, and the cluster-specific objects
     * already translated for it for the same target network, or null.
     */
    record Exporter(ClusterView source, ExportedService service, Translated own) {
    }

    /**
     * The {@code <svc>.<ns>.svc.clusterset.local} ServiceEntry and DestinationRule as {@code targetNetwork} sees
     * them, or null when the exporters share no port number (the host would have no port every endpoint serves).
     * An exporter's already translated cluster-specific objects supply its endpoints (same network rule, same
     * readiness rule) when its ports are exactly the cluster-set host's ports, and the subsets when every exporter
     * has the same ones; both are then shared, read-only.
     *
     * @param exporters every cluster exporting the service, sorted by cluster name; never empty
     */
    static Translated clusterset(List<Exporter> exporters, String targetNetwork, String vip, SharedPieces pieces) {
        ExportedService first = exporters.get(0).service();
        // Ports: those whose number every exporter serves; name and protocol from the first exporter by cluster name.
        List<io.meshfed.model.ServicePort> common = new ArrayList<>();
        for (io.meshfed.model.ServicePort p : first.ports()) {
            boolean everywhere = true;
            for (int i = 1; i < exporters.size() && everywhere; i++) {
                everywhere = hasPortNumber(exporters.get(i).service(), p.port());
            }
            if (everywhere) {
                common.add(p);
            }
        }
        if (common.isEmpty()) {
            return null;
        }
        if (common.size() == first.ports().size()) {
            common = first.ports();
        }
        List<ServicePort> ports = pieces.ports(common);
        StringJoiner sources = new StringJoiner(",");
        StringJoiner withheld = new StringJoiner(",");
        boolean dns = false;
        // The host selects its exporters' WorkloadEntries when each exporter's own host does (its endpoints are
        // addresses, not a gateway's name) and names every shared port number as the cluster-set host does (an
        // entry maps port names to ports). Otherwise its endpoints are inline.
        boolean select = true;
        int capacity = 0;
        for (Exporter e : exporters) {
            select &= e.source().withheld()
                    || !viaNamedGateway(e.source(), targetNetwork) && namesPorts(e.service(), common);
            capacity += e.service().endpoints().size();
        }
        List<WorkloadEntry> endpoints = select ? List.of() : new ArrayList<>(capacity);
        for (Exporter e : exporters) {
            sources.add(e.source().name());
            if (e.source().withheld()) {
                withheld.add(e.source().name());
                continue;
            }
            if (select) {
                continue; // the endpoints are the exporters' entries
            }
            boolean direct = e.source().cluster().network().equals(targetNetwork);
            int before = endpoints.size();
            if (e.own() != null && e.service().ports().equals(common)) {
                endpoints.addAll(e.own().endpoints());
            } else {
                addEndpoints(endpoints, e.source(), e.service(), direct, common, null, pieces);
            }
            dns |= viaNamedGateway(e.source(), targetNetwork) && endpoints.size() > before;
        }
        Map<String, String> labels = CLUSTERSET_LABELS;
        Map<String, String> annotations = new TreeMap<>();
        annotations.put(FederationLabels.SOURCE_CLUSTERS, sources.toString());
        if (withheld.length() > 0) {
            annotations.put(FederationLabels.ENDPOINTS_WITHHELD, withheld.toString());
        }
        String name = clustersetObjectName(first.name());
        String host = clustersetHost(first.namespace(), first.name());
        ObjectMeta meta = IstioResources.metadata(first.namespace(), name, labels, annotations);
        ServiceEntry se = IstioResources.serviceEntry(meta, host, vip, ports, dns, endpoints,
                select ? pieces.selector(first.name(), null) : null);
        DestinationRule dr = IstioResources.destinationRule(meta, host, clustersetSubsets(exporters, pieces));
        return new Translated(se, dr, endpoints, List.of());
    }

    /**
     * The cluster-set host's subsets. When every exporter's cluster-specific objects have equal subsets, those are
     * the union's: each exporter's first carried key is the same key K, so no endpoint of any exporter carries a
     * key before K, and the union of equal value sets is that set.
     */
    private static List<Subset> clustersetSubsets(List<Exporter> exporters, SharedPieces pieces) {
        List<Subset> same = null;
        for (Exporter e : exporters) {
            List<Subset> own = e.own() == null ? null : e.own().destinationRule().getSpec().getSubsets();
            if (own == null || same != null && own != same && !own.equals(same)) {
                same = null;
                break;
            }
            same = own;
        }
        if (same != null) {
            return same;
        }
        List<ExportedService> services = new ArrayList<>(exporters.size());
        for (Exporter e : exporters) {
            services.add(e.service());
        }
        return subsets(services, pieces);
    }

    /**
     * Whether {@code targetNetwork} reaches {@code source}'s pods through a gateway known by DNS name (its endpoints
     * are then host names, resolved by istiod, and stay inline); otherwise they are addresses: the pods' own on the
     * same network, the gateway's IP across networks.
     */
    static boolean viaNamedGateway(ClusterView source, String targetNetwork) {
        return !source.cluster().network().equals(targetNetwork) && !source.gatewayIsIp();
    }

    /** Whether {@code s} names each of {@code ports}' numbers as {@code ports} does. */
    private static boolean namesPorts(ExportedService s, List<io.meshfed.model.ServicePort> ports) {
        for (io.meshfed.model.ServicePort p : ports) {
            boolean same = false;
            for (io.meshfed.model.ServicePort q : s.ports()) {
                if (q.port() == p.port()) {
                    same = q.name().equals(p.name());
                    break;
                }
            }
            if (!same) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasPortNumber(ExportedService s, int number) {
        for (io.meshfed.model.ServicePort p : s.ports()) {
            if (p.port() == number) {
                return true;
            }
        }
        return false;
    }

    /**
     * Appends the routable (ready) endpoints of {@code service} in {@code source}: the pods themselves on their
     * target ports when {@code direct} (same network), otherwise the source's east-west gateway, one endpoint per
     * distinct (locality, labels) group of pods, weighted by the number of pods in the group, so that locality
     * failover and subsets keep working behind the gateway.
     *
     * @param hostPorts the host's ports; each endpoint maps every port name to the port it listens on for that
     *        number
     * @param selectedAs the service name when the endpoints are carried by WorkloadEntries that ServiceEntries
     *        select: each then also carries the selector labels ({@link FederationLabels#SERVICE} and
     *        {@link FederationLabels#SOURCE_CLUSTER}); null for endpoints inline in a ServiceEntry
     */
    private static void addEndpoints(List<WorkloadEntry> out, ClusterView source, ExportedService service,
            boolean direct, List<io.meshfed.model.ServicePort> hostPorts, String selectedAs, SharedPieces pieces) {
        MeshCluster cluster = source.cluster();
        if (direct) {
            TreeMap<String, Long> byName = new TreeMap<>();
            for (io.meshfed.model.ServicePort h : hostPorts) {
                for (io.meshfed.model.ServicePort p : service.ports()) {
                    if (p.port() == h.port()) {
                        byName.put(h.name(), (long) p.targetPort());
                    }
                }
            }
            Map<String, Long> ports = pieces.portMap(byName);
            EndpointLabels labels = new EndpointLabels(cluster.name(), selectedAs);
            for (ServiceEndpoint ep : service.endpoints()) {
                if (ep.ready()) {
                    out.add(IstioResources.endpoint(ep.address(), labels.of(ep.labels()),
                            pieces.locality(ep.locality()), cluster.network(), ports, null));
                }
            }
            return;
        }
        GatewayAddress gw = cluster.eastWestGateway();
        TreeMap<String, Long> byName = new TreeMap<>();
        for (io.meshfed.model.ServicePort h : hostPorts) {
            byName.put(h.name(), (long) gw.port());
        }
        Map<String, Long> ports = pieces.portMap(byName);
        ServiceEndpoint[] first = new ServiceEndpoint[service.endpoints().size()];
        int[] size = new int[first.length];
        String[] locality = new String[first.length];
        int groups = groupReady(service.endpoints(), first, size, locality, pieces);
        EndpointLabels labels = new EndpointLabels(cluster.name(), selectedAs);
        for (int g = 0; g < groups; g++) {
            out.add(IstioResources.endpoint(gw.address(), labels.of(first[g].labels()), locality[g],
                    cluster.network(), ports, (long) size[g]));
        }
    }

    /** Up to this many endpoints are grouped by comparing each with the groups found so far, more by sorting. */
    private static final int FEW_ENDPOINTS = 16;

    /**
     * Groups the ready {@code endpoints} by (locality, labels): one member of each group into {@code first}, the
     * group's size into {@code size} and its locality's string form into {@code locality}, ordered by that form,
     * then by the labels' string form (see {@link #groupOrder}). Returns the number of groups.
     */
    private static int groupReady(List<ServiceEndpoint> endpoints, ServiceEndpoint[] first, int[] size,
            String[] locality, SharedPieces pieces) {
        int groups = 0;
        if (endpoints.size() <= FEW_ENDPOINTS) {
            for (ServiceEndpoint ep : endpoints) {
                if (ep.ready()) {
                    int g = 0;
                    while (g < groups && !sameGroup(first[g], ep)) {
                        g++;
                    }
                    if (g == groups) {
                        first[groups] = ep;
                        locality[groups++] = pieces.locality(ep.locality());
                    }
                    size[g]++;
                }
            }
            for (int i = 1; i < groups; i++) { // insertion sort of the few groups
                ServiceEndpoint f = first[i];
                int n = size[i];
                String l = locality[i];
                int j = i - 1;
                for (; j >= 0 && compareGroups(locality[j], first[j], l, f) > 0; j--) {
                    first[j + 1] = first[j];
                    size[j + 1] = size[j];
                    locality[j + 1] = locality[j];
                }
                first[j + 1] = f;
                size[j + 1] = n;
                locality[j + 1] = l;
            }
            return groups;
        }
        List<ServiceEndpoint> ready = new ArrayList<>(endpoints.size());
        for (ServiceEndpoint ep : endpoints) {
            if (ep.ready()) {
                ready.add(ep);
            }
        }
        ready.sort(groupOrder(pieces));
        for (ServiceEndpoint ep : ready) {
            if (groups > 0 && sameGroup(first[groups - 1], ep)) {
                size[groups - 1]++;
            } else {
                first[groups] = ep;
                locality[groups] = pieces.locality(ep.locality());
                size[groups++] = 1;
            }
        }
        return groups;
    }

    /** {@link #groupOrder} of two different groups, given their locality strings. */
    private static int compareGroups(String localityA, ServiceEndpoint a, String localityB, ServiceEndpoint b) {
        int c = localityA.compareTo(localityB);
        return c != 0 ? c : a.labels().toString().compareTo(b.labels().toString());
    }

    private static boolean sameGroup(ServiceEndpoint a, ServiceEndpoint b) {
        return a.locality().equals(b.locality()) && a.labels().equals(b.labels());
    }

    /**
     * Orders endpoints so that one (locality, labels) group is contiguous and groups come in the order of their
     * locality's string form, then their labels' string form. (Those forms are injective: Kubernetes label keys
     * and values cannot contain ',', '=' or spaces, locality parts cannot contain '/'.)
     */
    private static java.util.Comparator<ServiceEndpoint> groupOrder(SharedPieces pieces) {
        return (x, y) -> {
            if (x.locality().equals(y.locality())) {
                return x.labels().equals(y.labels()) ? 0 : x.labels().toString().compareTo(y.labels().toString());
            }
            return pieces.locality(x.locality()).compareTo(pieces.locality(y.locality()));
        };
    }

    /**
     * An endpoint's labels: the pod labels plus Istio's cluster label, sorted; endpoints of one service with equal
     * pod labels share one map.
     */
    private static final class EndpointLabels {
        private final String cluster;
        private final String selectedAs;
        private final List<Map<String, String>> pod = new ArrayList<>(2);
        private final List<Map<String, String>> built = new ArrayList<>(2);

        EndpointLabels(String cluster, String selectedAs) {
            this.cluster = cluster;
            this.selectedAs = selectedAs;
        }

        Map<String, String> of(Map<String, String> podLabels) {
            for (int i = 0; i < pod.size(); i++) {
                if (pod.get(i).equals(podLabels)) {
                    return built.get(i);
                }
            }
            TreeMap<String, String> labels = new TreeMap<>(podLabels);
            labels.put(FederationLabels.ISTIO_CLUSTER, cluster);
            if (selectedAs != null) {
                labels.put(FederationLabels.SERVICE, selectedAs);
                labels.put(FederationLabels.SOURCE_CLUSTER, cluster);
            }
            Map<String, String> shared = java.util.Collections.unmodifiableMap(labels);
            if (pod.size() < 8) {
                pod.add(podLabels);
                built.add(shared);
            }
            return shared;
        }
    }

    private static final Map<String, String> CLUSTERSET_LABELS = java.util.Collections.unmodifiableMap(
            buildLabels("clusterset", null));

    static Map<String, String> buildLabels(String kind, String sourceCluster) {
        Map<String, String> labels = new TreeMap<>();
        labels.put(FederationLabels.MANAGED_BY, FederationLabels.MANAGER);
        labels.put(FederationLabels.HOST_KIND, kind);
        if (sourceCluster != null) {
            labels.put(FederationLabels.SOURCE_CLUSTER, sourceCluster);
        }
        return labels;
    }

    /**
     * Subsets from the first of {@link #SUBSET_LABEL_KEYS} that any endpoint carries (ready or not, so subsets do
     * not come and go with readiness): one subset per distinct value, named after the value made a DNS-1123 label
     * (lower case, other characters to '-', at most 63; a clash gets "-2", "-3", ... in value order).
     */
    static List<Subset> subsets(Collection<ExportedService> services, SharedPieces pieces) {
        for (String key : SUBSET_LABEL_KEYS) {
            TreeSet<String> values = new TreeSet<>();
            for (ExportedService s : services) {
                for (ServiceEndpoint ep : s.endpoints()) {
                    String v = ep.labels().get(key);
                    if (v != null && !v.isEmpty()) {
                        values.add(v);
                    }
                }
            }
            if (!values.isEmpty()) {
                return pieces.subsets(key, new ArrayList<>(values), () -> buildSubsets(key, values));
            }
        }
        return List.of();
    }

    private static List<Subset> buildSubsets(String key, TreeSet<String> values) {
        List<Subset> subsets = new ArrayList<>(values.size());
        Set<String> used = new java.util.HashSet<>();
        for (String v : values) {
            String base = subsetName(v);
            String name = base;
            for (int n = 2; !used.add(name); n++) {
                String suffix = "-" + n;
                name = base.substring(0, Math.min(base.length(), 63 - suffix.length())) + suffix;
            }
            subsets.add(IstioResources.subset(name, key, v));
        }
        return subsets;
    }

    static String subsetName(String value) {
        if (isDnsLabel(value)) {
            return value;
        }
        String s = value.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
        s = s.replaceAll("^-+", "").replaceAll("-+$", "");
        if (s.length() > 63) {
            s = s.substring(0, 63).replaceAll("-+$", "");
        }
        return s.isEmpty() ? "subset" : s;
    }

    private static boolean isDnsLabel(String v) {
        int n = v.length();
        if (n == 0 || n > 63 || v.charAt(0) == '-' || v.charAt(n - 1) == '-') {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = v.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-')) {
                return false;
            }
        }
        return true;
    }
}
