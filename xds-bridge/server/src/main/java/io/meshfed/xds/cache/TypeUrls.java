package io.meshfed.xds.cache;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The type URLs the bridge answers and how they map to snapshot keys.
 *
 * <p>Envoy types are keyed by their own type URL. Istio config types arrive as GVK strings
 * ({@code networking.istio.io/v1/ServiceEntry}); their MCP bodies are the same v1alpha3 proto whatever the API
 * version an istiod asks with, so they are keyed by group and kind ({@code networking.istio.io/ServiceEntry}) and
 * one serialized resource serves every Istio version. Any well-formed GVK is accepted, known or not: istiod is not
 * ready until every type it asked for got an answer, even an empty one.
 */
public final class TypeUrls {
    /** How every Envoy (protobuf) type URL starts; Istio types over MCP are group/version/Kind strings instead. */
    public static final String PROTOBUF_PREFIX = "type.googleapis.com/";
    public static final String CLUSTER = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    public static final String ENDPOINT = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
    public static final String LISTENER = "type.googleapis.com/envoy.config.listener.v3.Listener";
    public static final String ROUTE = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";

    /** Envoy types in push order: a client must learn a cluster before its endpoints, a listener before its routes. */
    public static final List<String> ENVOY_ORDER = List.of(CLUSTER, ENDPOINT, LISTENER, ROUTE);

    public static final String MESH_CONFIG = "core/v1alpha1/MeshConfig";
    public static final String SERVICE_ENTRY_KEY = "networking.istio.io/ServiceEntry";
    public static final String DESTINATION_RULE_KEY = "networking.istio.io/DestinationRule";
    public static final String GATEWAY_KEY = "networking.istio.io/Gateway";
    public static final String WORKLOAD_ENTRY_KEY = "networking.istio.io/WorkloadEntry";

    private static final Pattern GVK = Pattern.compile("([a-z0-9]([a-z0-9.-]*[a-z0-9])?)/(v[0-9]+[a-z0-9]*)/([A-Z][A-Za-z0-9]*)");

    private TypeUrls() {
    }

    /**
     * The snapshot key of a type URL.
     *
     * @throws UnknownTypeException when it is neither an Envoy type the bridge serves nor an Istio GVK
     */
    public static String key(String typeUrl) {
        if (ENVOY_ORDER.contains(typeUrl) || isKey(typeUrl)) {
            return typeUrl;
        }
        Matcher m = GVK.matcher(typeUrl);
        if (m.matches()) {
            return m.group(1) + "/" + m.group(4);
        }
        throw new UnknownTypeException(typeUrl);
    }

    private static boolean isKey(String s) {
        int slash = s.indexOf('/');
        return slash > 0 && slash == s.lastIndexOf('/') && !s.startsWith("type.googleapis.com")
                && GVK.matcher(s.substring(0, slash) + "/v1/" + s.substring(slash + 1)).matches();
    }

    /** True for Istio GVK type URLs (MCP-over-xDS): every response carries the full state of the type. */
    public static boolean isIstio(String typeUrl) {
        return GVK.matcher(typeUrl).matches();
    }

    /** True for types whose SotW responses list every resource the client subscribes to (not just changed ones). */
    public static boolean isStateOfWorldFull(String typeUrl) {
        return CLUSTER.equals(typeUrl) || LISTENER.equals(typeUrl) || isIstio(typeUrl);
    }

    public static Optional<String> kind(String typeUrl) {
        Matcher m = GVK.matcher(typeUrl);
        return m.matches() ? Optional.of(m.group(4)) : Optional.empty();
    }

    /** A type URL the bridge cannot answer. */
    public static final class UnknownTypeException extends IllegalArgumentException {
        public UnknownTypeException(String typeUrl) {
            super("unknown type_url '" + typeUrl + "': expected one of " + ENVOY_ORDER
                    + " or an Istio group/version/Kind such as networking.istio.io/v1/ServiceEntry");
        }
    }
}
