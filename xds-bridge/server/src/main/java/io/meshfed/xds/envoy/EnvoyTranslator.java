package io.meshfed.xds.envoy;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.v3.Percent;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ExportedService;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.ServiceEndpoint;
import io.meshfed.model.ServicePort;
import io.meshfed.xds.cache.NodeGroup;
import io.meshfed.xds.cache.TypeUrls;
import io.meshfed.xds.cache.WeakInterner;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The pure translation of every cluster's catalog into the Envoy resources one node group sees.
 *
 * <p>Per exported service and port: a CDS {@code Cluster} (EDS over ADS, round robin with locality weights, outlier
 * detection, a retry budget), its {@code ClusterLoadAssignment}, and for gRPC/HTTP2 ports an API {@code Listener}
 * with its {@code RouteConfiguration} so proxyless gRPC clients resolve {@code xds:///host:port}.
 *
 * <p>Endpoints: workloads of the requesting cluster and of clusters on the same network are dialed directly
 * (address and target port); a cluster on another network is one endpoint, its east-west gateway, weighted by
 * its ready workloads. Endpoints are grouped by locality; priorities are the locality's distance from the
 * requesting node (0 same zone, then same region, then elsewhere, compacted so they start at 0 without gaps);
 * every locality carries a {@code load_balancing_weight} (grpc-java ignores localities without one).
 * Not-ready workloads, gateways with no ready workload behind them and every endpoint of a catalog stale past
 * the grace period are UNHEALTHY. Gateways given as DNS names are left out (EDS needs IP addresses).
 *
 * <p>No I/O, no clock (time comes in as {@code now}), deterministic, safe to call concurrently. Results are
 * memoized by everything they depend on, so repeated calls cost lookups, for as long as something else holds them:
 * the memos hold their results weakly, so a result no live snapshot holds any more (the endpoints of an address that
 * is gone) leaves with the garbage collection that finds it unreachable, and the memos' size follows the live
 * configuration, not the number of changes since start.
 */
public final class EnvoyTranslator {
    private static final ConfigSource ADS = ConfigSource.newBuilder()
            .setAds(AggregatedConfigSource.getDefaultInstance())
            .setResourceApiVersion(ApiVersion.V3)
            .build();
    private static final Set<String> HTTP2 = Set.of("GRPC", "HTTP2", "GRPC-WEB");

    private final EnvoyPolicy policy;
    /**
     * Endpoint sets by everything they depend on: the service port, the requesting cluster's name and network,
     * the node locality, and each exporter's cluster record, service and staleness. One changed service is then
     * re-translated for each node group, not the whole federation. Values are immutable messages, held weakly.
     */
    private final WeakInterner<List<Object>, ClusterLoadAssignment> claMemo = new WeakInterner<>();
    private final WeakInterner<List<Object>, Cluster> clusterMemo = new WeakInterner<>();
    private final WeakInterner<List<Object>, Listener> listenerMemo = new WeakInterner<>();
    private final WeakInterner<List<Object>, RouteConfiguration> routeMemo = new WeakInterner<>();

    public EnvoyTranslator(EnvoyPolicy policy) {
        this.policy = policy;
    }

    /**
     * @throws IllegalArgumentException when {@code group.cluster()} has no catalog
     */
    public Map<String, Map<String, Message>> translate(Collection<ClusterCatalog> catalogs, NodeGroup group, Instant now) {
        return translate(new Index(catalogs), group, now, null);
    }

    /**
     * Every catalog of one generation, indexed once so that each node group's translation looks services up
     * instead of scanning catalogs. Immutable; share it between the node groups of a generation.
     */
    public static final class Index {
        final Map<String, ClusterCatalog> byCluster = new TreeMap<>();
        /** service key -> exporting catalogs, in cluster-name order. */
        final Map<String, List<ClusterCatalog>> exporters = new TreeMap<>();
        final Map<String, ExportedService> representative = new HashMap<>();
        /** cluster name -> service key -> service. */
        final Map<String, Map<String, ExportedService>> services = new HashMap<>();

        public Index(Collection<ClusterCatalog> catalogs) {
            for (ClusterCatalog c : catalogs) {
                byCluster.put(c.clusterName(), c);
            }
            for (ClusterCatalog c : byCluster.values()) {
                Map<String, ExportedService> own = new HashMap<>();
                for (ExportedService s : c.services()) {
                    exporters.computeIfAbsent(s.key(), k -> new ArrayList<>()).add(c);
                    representative.putIfAbsent(s.key(), s);
                    own.put(s.key(), s);
                }
                services.put(c.clusterName(), own);
            }
        }

        ExportedService service(ClusterCatalog c, String key) {
            ExportedService s = services.get(c.clusterName()).get(key);
            if (s == null) {
                throw new IllegalStateException("catalog of " + c.clusterName() + " lost " + key);
            }
            return s;
        }

        /**
         * The names of the resources one exported service (by key) yields, by type: the same for every node group.
         * Empty maps when no cluster exports it.
         */
        public Map<String, Set<String>> names(String key) {
            Map<String, Set<String>> out = new LinkedHashMap<>();
            for (String type : TypeUrls.ENVOY_ORDER) {
                out.put(type, new TreeSet<>());
            }
            List<ClusterCatalog> exporting = exporters.get(key);
            if (exporting == null) {
                return out;
            }
            String host = EnvoyNames.host(representative.get(key));
            for (ServicePort port : ports(this, key, exporting)) {
                String name = EnvoyNames.cluster(host, port.port());
                out.get(TypeUrls.CLUSTER).add(name);
                out.get(TypeUrls.ENDPOINT).add(name);
                if (HTTP2.contains(port.protocol())) {
                    String target = EnvoyNames.listener(host, port.port());
                    out.get(TypeUrls.LISTENER).add(target);
                    out.get(TypeUrls.ROUTE).add(target);
                }
            }
            return out;
        }
    }

    /**
     * The resources of the services named by {@code onlyKeys} (every service when null) as {@code group} sees
     * them; a key no cluster exports any more yields nothing.
     *
     * @throws IllegalArgumentException when {@code group.cluster()} has no catalog
     */
    public Map<String, Map<String, Message>> translate(Index index, NodeGroup group, Instant now, Set<String> onlyKeys) {
        ClusterCatalog own = index.byCluster.get(group.cluster());
        if (own == null) {
            throw new IllegalArgumentException("no catalog for cluster '" + group.cluster() + "'");
        }
        io.meshfed.model.Locality nodeLocality = group.locality().isEmpty()
                ? own.cluster().locality() : parseLocality(group.locality(), own.cluster().locality());

        Map<String, Message> clusters = new TreeMap<>();
        Map<String, Message> endpoints = new TreeMap<>();
        Map<String, Message> listeners = new TreeMap<>();
        Map<String, Message> routes = new TreeMap<>();
        Iterable<String> keys = onlyKeys == null ? index.exporters.keySet() : onlyKeys;
        for (String serviceKey : keys) {
            List<ClusterCatalog> exporting = index.exporters.get(serviceKey);
            if (exporting == null) {
                continue;
            }
            ExportedService first = index.representative.get(serviceKey);
            String host = EnvoyNames.host(first);
            for (ServicePort port : ports(index, serviceKey, exporting)) {
                String name = EnvoyNames.cluster(host, port.port());
                clusters.put(name, memo(clusterMemo, List.of(name, port), () -> cluster(name, port)));
                List<Object> key = new ArrayList<>(5 + 3 * exporting.size());
                key.add(name);
                key.add(port);
                key.add(own.cluster().name());
                key.add(own.cluster().network());
                key.add(nodeLocality);
                for (ClusterCatalog c : exporting) {
                    key.add(c.cluster());
                    key.add(index.service(c, serviceKey));
                    key.add(c.staleBeyond(policy.staleGrace(), now));
                }
                endpoints.put(name, memo(claMemo, key,
                        () -> loadAssignment(name, index, serviceKey, port, exporting, own.cluster(), nodeLocality, now)));
                if (HTTP2.contains(port.protocol())) {
                    String target = EnvoyNames.listener(host, port.port());
                    listeners.put(target, memo(listenerMemo, List.of(target), () -> apiListener(target)));
                    routes.put(target, memo(routeMemo, List.of(target, host, port.port(), name),
                            () -> routeConfig(target, host, port.port(), name)));
                }
            }
        }
        Map<String, Map<String, Message>> out = new LinkedHashMap<>();
        out.put(TypeUrls.CLUSTER, clusters);
        out.put(TypeUrls.ENDPOINT, endpoints);
        out.put(TypeUrls.LISTENER, listeners);
        out.put(TypeUrls.ROUTE, routes);
        return out;
    }

    public EnvoyPolicy policy() {
        return policy;
    }

    /**
     * Results memoized and not yet collected, over all memos: those of live snapshots, and any nothing holds that
     * no garbage collection has found yet (for diagnostics).
     */
    public int memoSize() {
        return claMemo.size() + clusterMemo.size() + listenerMemo.size() + routeMemo.size();
    }

    private static <M> M memo(WeakInterner<List<Object>, M> memo, List<Object> key, java.util.function.Supplier<M> compute) {
        return memo.intern(List.copyOf(key), k -> compute.get());
    }

    /** The union of the service's ports over its exporters, by port number; the first exporter's wins a clash. */
    private static Collection<ServicePort> ports(Index index, String key, List<ClusterCatalog> exporters) {
        Map<Integer, ServicePort> byNumber = new TreeMap<>();
        for (ClusterCatalog c : exporters) {
            for (ServicePort p : index.service(c, key).ports()) {
                byNumber.putIfAbsent(p.port(), p);
            }
        }
        return byNumber.values();
    }

    private Cluster cluster(String name, ServicePort port) {
        Cluster.Builder b = Cluster.newBuilder()
                .setName(name)
                .setType(Cluster.DiscoveryType.EDS)
                .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(ADS).setServiceName(name))
                .setConnectTimeout(duration(policy.connectTimeout()))
                .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
                .setCommonLbConfig(Cluster.CommonLbConfig.newBuilder()
                        .setLocalityWeightedLbConfig(Cluster.CommonLbConfig.LocalityWeightedLbConfig.getDefaultInstance()))
                .setOutlierDetection(OutlierDetection.newBuilder()
                        .setConsecutive5Xx(UInt32Value.of(policy.consecutive5xx()))
                        .setInterval(duration(policy.ejectionInterval()))
                        .setBaseEjectionTime(duration(policy.baseEjectionTime()))
                        .setMaxEjectionPercent(UInt32Value.of(policy.maxEjectionPercent())))
                .setCircuitBreakers(CircuitBreakers.newBuilder().addThresholds(CircuitBreakers.Thresholds.newBuilder()
                        .setPriority(RoutingPriority.DEFAULT)
                        .setRetryBudget(CircuitBreakers.Thresholds.RetryBudget.newBuilder()
                                .setBudgetPercent(Percent.newBuilder().setValue(policy.retryBudgetPercent()))
                                .setMinRetryConcurrency(UInt32Value.of(policy.minRetryConcurrency())))));
        if (HTTP2.contains(port.protocol())) {
            b.putTypedExtensionProtocolOptions("envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                    Any.pack(HttpProtocolOptions.newBuilder()
                            .setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                                    .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
                            .build()));
        }
        return b.build();
    }

    private record Weighted(LbEndpoint endpoint, io.meshfed.model.Locality locality) {
    }

    private ClusterLoadAssignment loadAssignment(String name, Index index, String key, ServicePort port,
            List<ClusterCatalog> exporters, MeshCluster requester, io.meshfed.model.Locality nodeLocality, Instant now) {
        List<Weighted> all = new ArrayList<>();
        for (ClusterCatalog c : exporters) {
            ExportedService s = index.service(c, key);
            ServicePort own = s.ports().stream().filter(p -> p.port() == port.port()).findFirst().orElse(null);
            if (own == null) {
                continue;
            }
            boolean stale = c.staleBeyond(policy.staleGrace(), now);
            boolean direct = c.clusterName().equals(requester.name())
                    || c.cluster().network().equals(requester.network());
            if (direct) {
                for (ServiceEndpoint ep : s.endpoints()) {
                    all.add(new Weighted(lbEndpoint(ep.address(), own.targetPort(), 1, ep.ready() && !stale),
                            ep.locality()));
                }
            } else if (c.cluster().eastWestGateway().isIp()) {
                long ready = s.endpoints().stream().filter(ServiceEndpoint::ready).count();
                all.add(new Weighted(lbEndpoint(c.cluster().eastWestGateway().address(),
                        c.cluster().eastWestGateway().port(), (int) Math.max(1, ready), ready > 0 && !stale),
                        c.cluster().locality()));
            }
        }
        // locality -> endpoints, localities in a stable order
        Map<String, List<Weighted>> byLocality = new TreeMap<>();
        for (Weighted w : all) {
            byLocality.computeIfAbsent(w.locality().toString(), k -> new ArrayList<>()).add(w);
        }
        TreeSet<Integer> distances = new TreeSet<>();
        for (List<Weighted> ws : byLocality.values()) {
            distances.add(distance(nodeLocality, ws.get(0).locality()));
        }
        List<Integer> priorityOf = new ArrayList<>(distances);
        ClusterLoadAssignment.Builder cla = ClusterLoadAssignment.newBuilder().setClusterName(name);
        List<LocalityLbEndpoints> groups = new ArrayList<>();
        for (List<Weighted> ws : byLocality.values()) {
            io.meshfed.model.Locality loc = ws.get(0).locality();
            LocalityLbEndpoints.Builder lb = LocalityLbEndpoints.newBuilder()
                    .setLocality(Locality.newBuilder().setRegion(loc.region()).setZone(loc.zone() == null ? "" : loc.zone()))
                    .setPriority(priorityOf.indexOf(distance(nodeLocality, loc)));
            int weight = 0;
            for (Weighted w : ws) {
                lb.addLbEndpoints(w.endpoint());
                weight += w.endpoint().getLoadBalancingWeight().getValue();
            }
            lb.setLoadBalancingWeight(UInt32Value.of(Math.max(1, weight)));
            groups.add(lb.build());
        }
        groups.sort(Comparator.comparingInt(LocalityLbEndpoints::getPriority));
        return cla.addAllEndpoints(groups).build();
    }

    private static LbEndpoint lbEndpoint(String address, int port, int weight, boolean healthy) {
        return LbEndpoint.newBuilder()
                .setEndpoint(Endpoint.newBuilder().setAddress(io.envoyproxy.envoy.config.core.v3.Address.newBuilder()
                        .setSocketAddress(SocketAddress.newBuilder().setAddress(address).setPortValue(port))))
                .setHealthStatus(healthy ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY)
                .setLoadBalancingWeight(UInt32Value.of(weight))
                .build();
    }

    /** 0 same region and zone, 1 same region, 2 another region. */
    static int distance(io.meshfed.model.Locality from, io.meshfed.model.Locality to) {
        if (!from.region().equals(to.region())) {
            return 2;
        }
        return java.util.Objects.equals(from.zone(), to.zone()) ? 0 : 1;
    }

    private static io.meshfed.model.Locality parseLocality(String s, io.meshfed.model.Locality fallback) {
        String[] parts = s.split("/", -1);
        try {
            return new io.meshfed.model.Locality(parts[0], parts.length > 1 ? parts[1] : null);
        } catch (RuntimeException e) {
            return fallback;
        }
    }

    private static Listener apiListener(String target) {
        HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
                .setStatPrefix(target)
                .setRds(Rds.newBuilder().setConfigSource(ADS).setRouteConfigName(target))
                .addHttpFilters(HttpFilter.newBuilder().setName("envoy.filters.http.router")
                        .setTypedConfig(Any.pack(Router.getDefaultInstance())))
                .build();
        return Listener.newBuilder()
                .setName(target)
                .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(hcm)))
                .build();
    }

    private static RouteConfiguration routeConfig(String target, String host, int port, String cluster) {
        return RouteConfiguration.newBuilder()
                .setName(target)
                .addVirtualHosts(VirtualHost.newBuilder()
                        .setName(target)
                        .addDomains(target)
                        .addDomains(host)
                        .addRoutes(Route.newBuilder()
                                .setMatch(RouteMatch.newBuilder().setPrefix(""))
                                .setRoute(RouteAction.newBuilder().setCluster(cluster))))
                .build();
    }

    private static com.google.protobuf.Duration duration(Duration d) {
        return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
    }
}
