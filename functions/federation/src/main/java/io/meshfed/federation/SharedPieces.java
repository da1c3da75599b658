package io.meshfed.federation;

import io.fabric8.istio.api.api.networking.v1alpha3.ServicePort;
import io.fabric8.istio.api.api.networking.v1alpha3.Subset;
import io.meshfed.model.Locality;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Equal read-only parts of one translation, built once and handed to every object that needs them: object label
 * maps, port lists and port maps, locality strings and subset lists.
 *
 * <p>Sharing is safe because generated objects are read-only (see {@link FederationConfig}); it is what keeps the
 * object count, and so the garbage-collection cost, of a 100-cluster translation low. Equality of the output is
 * unaffected: a shared part is equal to the copy it replaces.
 *
 * <p>Not thread-safe, and scoped to one {@link FederationState#update} so that its size is bounded by that input.
 */
final class SharedPieces {
    private final Map<String, Map<String, String>> clusterLabels = new HashMap<>();
    private final Map<Locality, String> localities = new HashMap<>();
    private final Map<List<io.meshfed.model.ServicePort>, List<ServicePort>> ports = new HashMap<>();
    private final Map<Map<String, Long>, Map<String, Long>> portMaps = new HashMap<>();
    private final Map<List<String>, List<Subset>> subsets = new HashMap<>();
    private final Map<List<Object>, Map<String, String>> selectors = new HashMap<>();

    /** The labels of a cluster-specific object of {@code cluster}. */
    Map<String, String> clusterLabels(String cluster) {
        return clusterLabels.computeIfAbsent(cluster, c -> ServiceTranslation.buildLabels("cluster", c));
    }

    /**
     * The workload selector of a ServiceEntry whose endpoints are WorkloadEntries: {@code service}'s entries, of
     * {@code cluster} only when it is not null (a cluster-specific host), of every exporter otherwise.
     */
    Map<String, String> selector(String service, String cluster) {
        return entryLabels(false, service, cluster);
    }

    /** The metadata labels of a WorkloadEntry of {@code service} exported by {@code cluster}. */
    Map<String, String> workloadEntryLabels(String service, String cluster) {
        return entryLabels(true, service, cluster);
    }

    private Map<String, String> entryLabels(boolean managed, String service, String cluster) {
        return selectors.computeIfAbsent(java.util.Arrays.asList(managed, service, cluster), k -> {
            TreeMap<String, String> labels = new TreeMap<>();
            if (managed) {
                labels.put(FederationLabels.MANAGED_BY, FederationLabels.MANAGER);
            }
            labels.put(FederationLabels.SERVICE, service);
            if (cluster != null) {
                labels.put(FederationLabels.SOURCE_CLUSTER, cluster);
            }
            return Collections.unmodifiableMap(labels);
        });
    }

    /** Istio's "region/zone" form of {@code locality}. */
    String locality(Locality locality) {
        return localities.computeIfAbsent(locality, Locality::toString);
    }

    /** The ServiceEntry ports of {@code modelPorts}, in their order. */
    List<ServicePort> ports(List<io.meshfed.model.ServicePort> modelPorts) {
        return ports.computeIfAbsent(modelPorts, list -> {
            List<ServicePort> out = new ArrayList<>(list.size());
            for (io.meshfed.model.ServicePort p : list) {
                out.add(IstioResources.port(p.name(), p.port(), p.protocol()));
            }
            return Collections.unmodifiableList(out);
        });
    }

    /** An endpoint's port-name-to-number map; {@code sorted} must be a new sorted map the caller gives away. */
    Map<String, Long> portMap(TreeMap<String, Long> sorted) {
        return portMaps.computeIfAbsent(sorted, Collections::unmodifiableMap);
    }

    /** The subsets for the given distinct label values of {@code key} (sorted), built by {@code build}. */
    List<Subset> subsets(String key, List<String> sortedValues, java.util.function.Supplier<List<Subset>> build) {
        List<String> k = new ArrayList<>(sortedValues.size() + 1);
        k.add(key);
        k.addAll(sortedValues);
        return subsets.computeIfAbsent(k, x -> Collections.unmodifiableList(build.get()));
    }
}
