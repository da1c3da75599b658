package io.meshfed.xds.envoy;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
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
import io.envoyproxy.envoy.extensions.clusters.aggregate.v3.ClusterConfig;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.load_balancing_policies.cluster_provided.v3.ClusterProvided;
import io.envoyproxy.envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin;
import io.envoyproxy.envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.v3.Percent;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ExportedService;
import io.meshfed.model.GatewayAddress;
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
 * the grace period are UNHEALTHY. Gateways given as DNS names are left out of the endpoints (EDS needs IP
 * addresses).
 *
 * <p>When a cluster on another network exports the service port and its gateway is known only by name, the name
 * {@code outbound|port||host} (the one routes and clients use) is instead an {@code envoy.clusters.aggregate}
 * cluster over, in failover order: the EDS cluster above (renamed {@code outbound|port|eds|host}, same endpoint
 * set), then one LOGICAL_DNS cluster per such gateway, nearest locality first (same zone, same region, elsewhere;
 * then by cluster name). A named gateway with no ready workload behind it, or whose catalog is stale past the
 * grace period, keeps its LOGICAL_DNS cluster but is left out of the aggregate's list (DNS carries no health), as
 * its IP counterpart is UNHEALTHY in EDS. With every remote gateway an IP, the output is the plain EDS cluster.
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
    private static final String AGGREGATE = io.meshfed.xds.cache.Snapshot.AGGREGATE;
    private static final LoadBalancingPolicy AGGREGATE_LB = LoadBalancingPolicy.newBuilder()
            .addPolicies(LoadBalancingPolicy.Policy.newBuilder().setTypedExtensionConfig(TypedExtensionConfig.newBuilder()
                    .setName("envoy.load_balancing_policies.cluster_provided")
                    .setTypedConfig(Any.pack(ClusterProvided.getDefaultInstance()))))
            .addPolicies(LoadBalancingPolicy.Policy.newBuilder().setTypedExtensionConfig(TypedExtensionConfig.newBuilder()
                    .setName("envoy.load_balancing_policies.wrr_locality")
                    .setTypedConfig(Any.pack(WrrLocality.newBuilder()
                            .setEndpointPickingPolicy(LoadBalancingPolicy.newBuilder()
                                    .addPolicies(LoadBalancingPolicy.Policy.newBuilder()
                                            .setTypedExtensionConfig(TypedExtensionConfig.newBuilder()
                                                    .setName("envoy.load_balancing_policies.round_robin")
                                                    .setTypedConfig(Any.pack(RoundRobin.getDefaultInstance())))))
                            .build()))))
            .build();

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
         * The names of the resources one exported service (by key) may yield, by type: the same for every node
         * group, a superset of what any one group gets (a group sees the aggregate's members only for gateways of
         * clusters on another network than its own). Empty maps when no cluster exports it.
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
                for (ClusterCatalog c : exporting) {
                    if (!c.cluster().eastWestGateway().isIp() && exportsPort(service(c, key), port.port())) {
                        out.get(TypeUrls.CLUSTER).add(EnvoyNames.edsMember(host, port.port()));
                        out.get(TypeUrls.CLUSTER).add(EnvoyNames.gatewayMember(host, port.port(), c.clusterName()));
                    }
                }
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
                List<NamedGateway> named = namedGateways(index, serviceKey, port, exporting, own.cluster(), nodeLocality, now);
                if (named.isEmpty()) {
                    clusters.put(name, memo(clusterMemo, List.of(name, port), () -> edsCluster(name, name, port)));
                } else {
                    String eds = EnvoyNames.edsMember(host, port.port());
                    clusters.put(eds, memo(clusterMemo, List.of(eds, name, port), () -> edsCluster(eds, name, port)));
                    List<String> members = new ArrayList<>(1 + named.size());
                    members.add(eds);
                    for (NamedGateway gw : named) {
                        String member = EnvoyNames.gatewayMember(host, port.port(), gw.cluster());
                        clusters.put(member, memo(clusterMemo, List.of(member, port, gw.gateway(), gw.locality()),
                                () -> dnsCluster(member, port, gw)));
                        if (gw.serving()) {
                            members.add(member);
                        }
                    }
                    clusters.put(name, memo(clusterMemo, List.of(name, port, members), () -> aggregateCluster(name, members)));
                }
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

    private static boolean exportsPort(ExportedService s, int port) {
        return s.ports().stream().anyMatch(p -> p.port() == port);
    }

    /**
     * A gateway known only by name of a cluster on another network than the requester's that exports the port;
     * {@code serving} when something is ready behind it and its catalog is within the grace period.
     */
    private record NamedGateway(String cluster, GatewayAddress gateway, io.meshfed.model.Locality locality,
            boolean serving, int distance) {
    }

    /** The gateways known only by name that {@code requester} fails over to for the port, in failover order. */
    private List<NamedGateway> namedGateways(Index index, String key, ServicePort port, List<ClusterCatalog> exporters,
            MeshCluster requester, io.meshfed.model.Locality nodeLocality, Instant now) {
        List<NamedGateway> out = new ArrayList<>();
        for (ClusterCatalog c : exporters) {
            MeshCluster m = c.cluster();
            if (m.eastWestGateway().isIp() || c.clusterName().equals(requester.name())
                    || m.network().equals(requester.network())) {
                continue;
            }
            ExportedService s = index.service(c, key);
            if (!exportsPort(s, port.port())) {
                continue;
            }
            boolean serving = !c.staleBeyond(policy.staleGrace(), now)
                    && s.endpoints().stream().anyMatch(ServiceEndpoint::ready);
            out.add(new NamedGateway(c.clusterName(), m.eastWestGateway(), m.locality(), serving,
                    distance(nodeLocality, m.locality())));
        }
        out.sort(Comparator.comparingInt(NamedGateway::distance).thenComparing(NamedGateway::cluster));
        return out;
    }

    /** The settings every cluster a client dials endpoints through shares: timeouts, ejection, retry budget, HTTP/2. */
    private Cluster.Builder dialing(String name, ServicePort port) {
        Cluster.Builder b = Cluster.newBuilder()
                .setName(name)
                .setConnectTimeout(duration(policy.connectTimeout()))
                .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
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
        return b;
    }

    /** The EDS cluster {@code name} over the endpoint set {@code endpoints}. */
    private Cluster edsCluster(String name, String endpoints, ServicePort port) {
        return dialing(name, port)
                .setType(Cluster.DiscoveryType.EDS)
                .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(ADS).setServiceName(endpoints))
                .setCommonLbConfig(Cluster.CommonLbConfig.newBuilder()
                        .setLocalityWeightedLbConfig(Cluster.CommonLbConfig.LocalityWeightedLbConfig.getDefaultInstance()))
                .build();
    }

    /**
     * A LOGICAL_DNS cluster dialing the gateway by name. Its load assignment is exactly one locality with one
     * endpoint, the form both Envoy and gRPC (gRFC A37) require of LOGICAL_DNS.
     */
    private Cluster dnsCluster(String name, ServicePort port, NamedGateway gw) {
        io.meshfed.model.Locality loc = gw.locality();
        return dialing(name, port)
                .setType(Cluster.DiscoveryType.LOGICAL_DNS)
                .setLoadAssignment(ClusterLoadAssignment.newBuilder()
                        .setClusterName(name)
                        .addEndpoints(LocalityLbEndpoints.newBuilder()
                                .setLocality(Locality.newBuilder().setRegion(loc.region())
                                        .setZone(loc.zone() == null ? "" : loc.zone()))
                                .addLbEndpoints(LbEndpoint.newBuilder().setEndpoint(Endpoint.newBuilder()
                                        .setAddress(io.envoyproxy.envoy.config.core.v3.Address.newBuilder()
                                                .setSocketAddress(SocketAddress.newBuilder()
                                                        .setAddress(gw.gateway().address())
                                                        .setPortValue(gw.gateway().port())))))))
                .build();
    }

    /**
     * The aggregate cluster over {@code members}, in failover order. Envoy needs the cluster-provided load balancer
     * for an aggregate cluster; gRPC does not implement that policy (the aggregate's members bring their own, gRFC
     * A75), so {@code load_balancing_policy} lists it first and round robin over weighted localities after it: each
     * client takes the first it supports, and the list supersedes {@code lb_policy} where supported.
     */
    private Cluster aggregateCluster(String name, List<String> members) {
        return Cluster.newBuilder()
                .setName(name)
                .setClusterType(Cluster.CustomClusterType.newBuilder()
                        .setName(AGGREGATE)
                        .setTypedConfig(Any.pack(ClusterConfig.newBuilder().addAllClusters(members).build())))
                .setConnectTimeout(duration(policy.connectTimeout()))
                .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
                .setLoadBalancingPolicy(AGGREGATE_LB)
                .build();
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
