package io.meshfed.xds.mcp;

import com.google.protobuf.Message;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.meshfed.federation.FederationConfig;
import io.meshfed.federation.FederationState;
import io.meshfed.federation.IstioFederationTranslator;
import io.meshfed.federation.FederationTranslator;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.xds.cache.TypeUrls;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * MCP-over-xDS resources for one cluster's istiod: the {@link FederationTranslator}'s ServiceEntries,
 * DestinationRules and Gateways, each an {@code istio.mcp.v1alpha1.Resource} around the v1alpha3 body. Every
 * other type istiod asks for is absent here and so answered empty. Pure; safe to call concurrently.
 */
public final class FederationMcpTranslator implements McpTranslator {
    /** Bound of the conversion memo; past it the memo starts over (it only saves work). */
    static final int MEMO_LIMIT = 500_000;

    /** Where each target cluster's Istio config comes from. */
    @FunctionalInterface
    interface TargetConfigs {
        FederationConfig of(Collection<ClusterCatalog> catalogs, String targetCluster, Instant now);
    }

    private final TargetConfigs configs;
    /**
     * fabric8 object to its MCP resource. Converting through JSON is the costly part of MCP, and most resources
     * are equal across target clusters (a remote service looks the same from every other cluster) and across
     * generations, so each distinct object is converted once. Keys are the translator's objects, compared by
     * value: equal objects built separately for different targets (a cluster-set host seen the same way from
     * every cluster on another network) share one conversion, and a value hash costs far less than a conversion.
     * Nothing mutates them after translation.
     */
    private final Map<HasMetadata, Message> memo = new ConcurrentHashMap<>();

    /** Translates each target from scratch on every call. */
    public FederationMcpTranslator(FederationTranslator translator) {
        this.configs = translator::translate;
    }

    private FederationMcpTranslator(TargetConfigs configs) {
        this.configs = configs;
    }

    /**
     * Keeps one {@link FederationState} per target cluster and updates it with each generation, so a change
     * re-translates only the services it touches; the result equals {@link #FederationMcpTranslator a full
     * translation}. States of clusters that left the federation are dropped.
     */
    public static FederationMcpTranslator incremental(IstioFederationTranslator translator) {
        Map<String, FederationState> states = new ConcurrentHashMap<>();
        return new FederationMcpTranslator((TargetConfigs) (catalogs, target, now) -> {
            Set<String> present = new HashSet<>();
            catalogs.forEach(c -> present.add(c.clusterName()));
            states.keySet().retainAll(present);
            FederationState state = states.computeIfAbsent(target, translator::newState);
            synchronized (state) { // FederationState has one writer at a time
                try {
                    state.update(catalogs, now);
                } catch (RuntimeException e) {
                    states.remove(target, state);
                    throw e;
                }
                return state.snapshot();
            }
        });
    }

    /** One converted object: the translator's instance and its MCP resource. */
    private record Converted(HasMetadata object, Message resource) {
    }

    /**
     * Per target cluster and type key, the last conversions by "namespace/name". An incremental translator hands
     * back the very same object for an unchanged resource, so most lookups are by identity, without hashing the
     * object's content.
     */
    private final Map<String, Map<String, Map<String, Converted>>> lastByTarget = new ConcurrentHashMap<>();

    @Override
    public Map<String, Map<String, Message>> translate(Collection<ClusterCatalog> catalogs, String targetCluster,
            Instant now) {
        FederationConfig config = configs.of(catalogs, targetCluster, now);
        Set<String> present = new HashSet<>();
        catalogs.forEach(c -> present.add(c.clusterName()));
        lastByTarget.keySet().retainAll(present);
        Map<String, Map<String, Converted>> last = lastByTarget.computeIfAbsent(targetCluster, t -> new ConcurrentHashMap<>());
        Map<String, Map<String, Message>> out = new LinkedHashMap<>();
        out.put(TypeUrls.SERVICE_ENTRY_KEY, wrap(config.serviceEntries(), last, TypeUrls.SERVICE_ENTRY_KEY,
                se -> IstioProtos.toProto(se.getSpec(),
                io.meshfed.xds.mcp.proto.networking.ServiceEntry.newBuilder(), describe(se))));
        out.put(TypeUrls.DESTINATION_RULE_KEY, wrap(config.destinationRules(), last, TypeUrls.DESTINATION_RULE_KEY,
                dr -> IstioProtos.toProto(dr.getSpec(),
                io.meshfed.xds.mcp.proto.networking.DestinationRule.newBuilder(), describe(dr))));
        out.put(TypeUrls.GATEWAY_KEY, wrap(config.gateways(), last, TypeUrls.GATEWAY_KEY, gw -> IstioProtos.toProto(gw.getSpec(),
                io.meshfed.xds.mcp.proto.networking.Gateway.newBuilder(), describe(gw))));
        return out;
    }

    private <T extends HasMetadata> Map<String, Message> wrap(List<T> objects,
            Map<String, Map<String, Converted>> lastOfTarget, String typeKey, Function<T, Message> spec) {
        Map<String, Message> byName = new TreeMap<>();
        Map<String, Converted> last = lastOfTarget.getOrDefault(typeKey, Map.of());
        Map<String, Converted> next = new java.util.HashMap<>();
        for (T o : objects) {
            String name = o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
            Converted before = last.get(name);
            Message resource = before != null && before.object() == o ? before.resource() : memo.get(o);
            if (resource == null) {
                resource = IstioProtos.mcpResource(o, spec.apply(o));
                if (memo.size() >= MEMO_LIMIT) {
                    memo.clear();
                }
                memo.put(o, resource);
            }
            next.put(name, new Converted(o, resource));
            if (byName.put(name, resource) != null) {
                throw new InvalidIstioResourceException("two " + o.getKind() + "s named " + name
                        + " (istiod would silently keep only one)", null);
            }
        }
        lastOfTarget.put(typeKey, next);
        return byName;
    }

    private static String describe(HasMetadata o) {
        return o.getKind() + " " + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
    }

}
