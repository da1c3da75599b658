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
import io.meshfed.federation.FederationDelta;
import io.meshfed.xds.cache.SnapshotSource;
import io.meshfed.xds.cache.SortedArrayMap;
import io.meshfed.xds.cache.WeakInterner;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * MCP-over-xDS resources for one cluster's istiod: the {@link FederationTranslator}'s ServiceEntries,
 * DestinationRules, Gateways and WorkloadEntries, each an {@code istio.mcp.v1alpha1.Resource} around the v1alpha3 body. Every
 * other type istiod asks for is absent here and so answered empty. Pure; safe to call concurrently.
 */
public final class FederationMcpTranslator implements McpTranslator {
    private static final AtomicLong SERIALS = new AtomicLong();

    /** Translates each target from scratch (null for an incremental translator). */
    private final FederationTranslator whole;
    /** Keeps a state per target (null for a whole translator). */
    private final IstioFederationTranslator incremental;
    private final Map<String, Target> targets = new ConcurrentHashMap<>();
    /**
     * fabric8 object to its MCP resource. Converting through JSON is the costly part of MCP, and most resources
     * are equal across target clusters (a remote service looks the same from every other cluster) and across
     * generations, so each distinct object is converted once. Keys are the translator's objects, compared by
     * value: equal objects built separately for different targets (a cluster-set host seen the same way from
     * every cluster on another network) share one conversion, and a value hash costs far less than a conversion.
     * Nothing mutates them after translation. Conversions are held weakly: one stays while a live result holds it
     * (a target's last result, a generation's, a snapshot's), so a new target shares every conversion the others
     * hold, and one nothing holds any more leaves with the garbage collection that finds it unreachable.
     */
    private final WeakInterner<HasMetadata, Message> memo = new WeakInterner<>();

    /** One target cluster's incremental state and the last result handed out for it. */
    private static final class Target {
        final FederationState state;
        McpResources last;

        Target(FederationState state) {
            this.state = state;
        }
    }

    /** Translates each target from scratch on every call. */
    public FederationMcpTranslator(FederationTranslator translator) {
        this.whole = translator;
        this.incremental = null;
    }

    private FederationMcpTranslator(IstioFederationTranslator translator) {
        this.whole = null;
        this.incremental = translator;
    }

    /**
     * Keeps one {@link FederationState} per target cluster and updates it with each generation: a change
     * re-translates and converts only the objects it touches, and the result names them as changes from the
     * previous result; the resources equal {@link #FederationMcpTranslator a full translation}. States of
     * clusters that left the federation are dropped.
     */
    public static FederationMcpTranslator incremental(IstioFederationTranslator translator) {
        return new FederationMcpTranslator(translator);
    }

    @Override
    public McpResources translate(Collection<ClusterCatalog> catalogs, String targetCluster, Instant now) {
        if (whole != null) {
            return new McpResources(SERIALS.incrementAndGet(), wrapAll(whole.translate(catalogs, targetCluster, now)),
                    -1, null);
        }
        Set<String> present = new HashSet<>();
        catalogs.forEach(c -> present.add(c.clusterName()));
        targets.keySet().retainAll(present);
        Target target = targets.computeIfAbsent(targetCluster, t -> new Target(incremental.newState(t)));
        synchronized (target) { // FederationState has one writer at a time
            try {
                FederationDelta delta = target.state.update(catalogs, now);
                McpResources result = target.last == null
                        ? new McpResources(SERIALS.incrementAndGet(), wrapAll(target.state.snapshot()), -1, null)
                        : apply(target, delta);
                target.last = result;
                return result;
            } catch (RuntimeException e) {
                // a state that failed half-way is not trusted: the next call starts the target over
                targets.remove(targetCluster, target);
                throw e;
            }
        }
    }

    /** Every object converted, by type key (each type an immutable {@link SortedArrayMap}). */
    private Map<String, Map<String, Message>> wrapAll(FederationConfig config) {
        Map<String, Map<String, Message>> out = new LinkedHashMap<>();
        out.put(TypeUrls.SERVICE_ENTRY_KEY, wrap(config.serviceEntries(), FederationMcpTranslator::serviceEntry));
        out.put(TypeUrls.DESTINATION_RULE_KEY, wrap(config.destinationRules(), FederationMcpTranslator::destinationRule));
        out.put(TypeUrls.GATEWAY_KEY, wrap(config.gateways(), FederationMcpTranslator::gateway));
        out.put(TypeUrls.WORKLOAD_ENTRY_KEY, wrap(config.workloadEntries(), FederationMcpTranslator::workloadEntry));
        return out;
    }

    private <T extends HasMetadata> SortedArrayMap<Message> wrap(List<T> objects, Function<T, Message> spec) {
        Map<String, Message> byName = new HashMap<>();
        for (T o : objects) {
            String name = name(o);
            if (byName.put(name, convert(o, spec)) != null) {
                throw duplicate(o, name);
            }
        }
        return SortedArrayMap.copyOf(byName);
    }

    /** The previous result with a delta applied: only the delta's objects are converted; unchanged types are shared. */
    private McpResources apply(Target target, FederationDelta delta) {
        McpResources previous = target.last;
        Map<String, Map<String, Message>> byType = new LinkedHashMap<>(previous.byType());
        Map<String, Map<String, Message>> put = new HashMap<>();
        Map<String, Set<String>> removed = new HashMap<>();
        applyType(byType, put, removed, TypeUrls.SERVICE_ENTRY_KEY, delta.upsertedServiceEntries(),
                delta.removedServiceEntries(), FederationMcpTranslator::serviceEntry);
        applyType(byType, put, removed, TypeUrls.DESTINATION_RULE_KEY, delta.upsertedDestinationRules(),
                delta.removedDestinationRules(), FederationMcpTranslator::destinationRule);
        applyType(byType, put, removed, TypeUrls.GATEWAY_KEY, delta.upsertedGateways(), delta.removedGateways(),
                FederationMcpTranslator::gateway);
        applyType(byType, put, removed, TypeUrls.WORKLOAD_ENTRY_KEY, delta.upsertedWorkloadEntries(),
                delta.removedWorkloadEntries(), FederationMcpTranslator::workloadEntry);
        return new McpResources(SERIALS.incrementAndGet(), byType, previous.serial(),
                new SnapshotSource.Changes(put, removed));
    }

    private <T extends HasMetadata> void applyType(Map<String, Map<String, Message>> byType,
            Map<String, Map<String, Message>> put,
            Map<String, Set<String>> removed, String typeKey, List<T> upserted, List<String> removedNames,
            Function<T, Message> spec) {
        if (upserted.isEmpty() && removedNames.isEmpty()) {
            return;
        }
        // the previous result's map of the type, itself (a SortedArrayMap is immutable and copied as is)
        SortedArrayMap<Message> before = SortedArrayMap.copyOf(byType.getOrDefault(typeKey, Map.of()));
        Map<String, Message> puts = new HashMap<>();
        for (T o : upserted) {
            String name = name(o);
            Message resource = convert(o, spec);
            if (puts.put(name, resource) != null) {
                throw duplicate(o, name);
            }
        }
        Set<String> gone = new HashSet<>();
        for (String name : removedNames) {
            if (!puts.containsKey(name) && before.containsKey(name)) {
                gone.add(name);
            }
        }
        SortedArrayMap<Message> next = before.with(puts, gone); // two array copies, not an entry per name
        byType.put(typeKey, next);
        put.put(typeKey, puts);
        removed.put(typeKey, gone);
    }

    private <T extends HasMetadata> Message convert(T o, Function<T, Message> spec) {
        return memo.intern(o, k -> IstioProtos.mcpResource(o, spec.apply(o)));
    }

    /**
     * Conversions memoized and not yet collected: those live results hold, and any nothing holds that no garbage
     * collection has found yet (for diagnostics).
     */
    public int memoSize() {
        return memo.size();
    }

    private static Message serviceEntry(io.fabric8.istio.api.networking.v1.ServiceEntry se) {
        return IstioProtos.toProto(se.getSpec(), io.meshfed.xds.mcp.proto.networking.ServiceEntry.newBuilder(), describe(se));
    }

    private static Message destinationRule(io.fabric8.istio.api.networking.v1.DestinationRule dr) {
        return IstioProtos.toProto(dr.getSpec(), io.meshfed.xds.mcp.proto.networking.DestinationRule.newBuilder(),
                describe(dr));
    }

    private static Message gateway(io.fabric8.istio.api.networking.v1.Gateway gw) {
        return IstioProtos.toProto(gw.getSpec(), io.meshfed.xds.mcp.proto.networking.Gateway.newBuilder(), describe(gw));
    }

    private static Message workloadEntry(io.fabric8.istio.api.networking.v1.WorkloadEntry we) {
        return IstioProtos.toProto(we.getSpec(), io.meshfed.xds.mcp.proto.networking.WorkloadEntry.newBuilder(),
                describe(we));
    }

    private static String name(HasMetadata o) {
        return o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
    }

    private static InvalidIstioResourceException duplicate(HasMetadata o, String name) {
        return new InvalidIstioResourceException("two " + o.getKind() + "s named " + name
                + " (istiod would silently keep only one)", null);
    }

    private static String describe(HasMetadata o) {
        return o.getKind() + " " + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
    }

}
