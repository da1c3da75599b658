package io.meshfed.xds.app;

import com.google.protobuf.Message;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.policy.PolicyConfig;
import io.meshfed.xds.cache.SortedArrayMap;
import io.meshfed.xds.cache.TypeUrls;
import io.meshfed.xds.mcp.IstioProtos;
import io.meshfed.xds.mcp.McpTranslator;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Federation's MCP resources for a cluster's istiod with one generation's policy output laid over them: the
 * VirtualServices, AuthorizationPolicies and EnvoyFilters added as their own types, and each DestinationRule a policy
 * changed replacing federation's of the same name. {@code configs} are the policy translator's results for exactly
 * the catalogs this translator will be asked about (the feed makes one per publish), so {@link #translate} stays a
 * pure function of its arguments. A cluster without a policy output gets federation's result unchanged.
 * Thread-safe: immutable apart from the wrapped translator, which is.
 */
public final class PolicyMcpTranslator implements McpTranslator {
    public static final String VIRTUAL_SERVICE_KEY = "networking.istio.io/VirtualService";
    public static final String AUTHORIZATION_POLICY_KEY = "security.istio.io/AuthorizationPolicy";
    public static final String ENVOY_FILTER_KEY = "networking.istio.io/EnvoyFilter";
    private static final AtomicLong SERIALS = new AtomicLong(1L << 62);

    private final McpTranslator federation;
    private final Map<String, PolicyConfig> configs;

    public PolicyMcpTranslator(McpTranslator federation, Map<String, PolicyConfig> configs) {
        this.federation = federation;
        this.configs = Map.copyOf(configs);
    }

    /** The policy output per cluster this translator lays over federation's. */
    public Map<String, PolicyConfig> configs() {
        return configs;
    }

    @Override
    public McpResources translate(Collection<ClusterCatalog> catalogs, String targetCluster, Instant now) {
        McpResources base = federation.translate(catalogs, targetCluster, now);
        PolicyConfig config = configs.get(targetCluster);
        if (config == null) {
            return base;
        }
        Map<String, Map<String, Message>> byType = new LinkedHashMap<>(base.byType());
        Map<String, Message> rules = convert(config.destinationRules(), dr -> IstioProtos.toProto(dr.getSpec(),
                io.meshfed.xds.mcp.proto.networking.DestinationRule.newBuilder(), describe(dr)));
        byType.put(TypeUrls.DESTINATION_RULE_KEY, SortedArrayMap.copyOf(byType.getOrDefault(
                TypeUrls.DESTINATION_RULE_KEY, Map.of())).with(rules, Set.of()));
        byType.put(VIRTUAL_SERVICE_KEY, SortedArrayMap.copyOf(convert(config.virtualServices(), vs ->
                IstioProtos.toProto(vs.getSpec(), io.meshfed.xds.mcp.proto.networking.VirtualService.newBuilder(),
                        describe(vs)))));
        byType.put(AUTHORIZATION_POLICY_KEY, SortedArrayMap.copyOf(convert(config.authorizationPolicies(), ap ->
                IstioProtos.toProto(ap.getSpec(), io.meshfed.xds.mcp.proto.security.AuthorizationPolicy.newBuilder(),
                        describe(ap)))));
        byType.put(ENVOY_FILTER_KEY, SortedArrayMap.copyOf(convert(config.envoyFilters(), ef ->
                IstioProtos.toProto(ef.getSpec(), io.meshfed.xds.mcp.proto.networking.EnvoyFilter.newBuilder(),
                        describe(ef)))));
        // changes unknown: the cache compares with what the group held
        return new McpResources(SERIALS.incrementAndGet(), byType, -1, null);
    }

    private static <T extends HasMetadata> Map<String, Message> convert(List<T> objects, Function<T, Message> body) {
        Map<String, Message> out = new HashMap<>();
        for (T o : objects) {
            out.put(o.getMetadata().getNamespace() + "/" + o.getMetadata().getName(),
                    IstioProtos.mcpResource(o, body.apply(o)));
        }
        return out;
    }

    private static String describe(HasMetadata o) {
        return o.getKind() + " " + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
    }
}
