package io.meshfed.policy;

import io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettingsHTTPSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettingsTCPSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.Destination;
import io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterApplyTo;
import io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterEnvoyConfigObjectMatch;
import io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterEnvoyConfigObjectMatchRouteConfiguration;
import io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterEnvoyConfigObjectPatch;
import io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterPatch;
import io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterPatchContext;
import io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterPatchOperation;
import io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterRouteConfigurationMatch;
import io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterRouteConfigurationMatchVirtualHostMatch;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjection;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionAbort;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionAbortGrpcStatus;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionAbortHttpStatus;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionDelay;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionDelayFixedDelay;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRetry;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRouteDestination;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.LocalityLoadBalancerSetting;
import io.fabric8.istio.api.api.networking.v1alpha3.LocalityLoadBalancerSettingFailover;
import io.fabric8.istio.api.api.networking.v1alpha3.OutlierDetection;
import io.fabric8.istio.api.api.networking.v1alpha3.Percent;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicyRetryBudget;
import io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyAction;
import io.fabric8.istio.api.api.security.v1beta1.Operation;
import io.fabric8.istio.api.api.security.v1beta1.Rule;
import io.fabric8.istio.api.api.security.v1beta1.RuleFrom;
import io.fabric8.istio.api.api.security.v1beta1.RuleTo;
import io.fabric8.istio.api.api.security.v1beta1.Source;
import io.fabric8.istio.api.api.type.v1beta1.WorkloadSelector;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.DestinationRuleBuilder;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.istio.api.networking.v1alpha3.EnvoyFilter;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.meshfed.federation.FederationLabels;
import io.meshfed.model.policy.AccessPolicy;
import io.meshfed.model.policy.TrafficPolicy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** Builds the fabric8 Istio objects of {@link PolicyTranslator}. Pure; every object returned is new. */
final class IstioPolicyResources {
    /** Annotation on every object a policy produced or changed: the policies it carries, sorted. */
    static final String POLICIES = "meshfed.io/policies";
    static final String DEFAULT_DENY_NAME = "meshfed-default-deny";
    /** The source address of the default deny's rule: the unspecified address, never a connection's peer. */
    static final String NO_SOURCE = "0.0.0.0/32";

    private IstioPolicyResources() {
    }

    private static ObjectMeta meta(String namespace, String name, String hostKind, String policies) {
        ObjectMeta m = new ObjectMeta();
        m.setNamespace(namespace);
        m.setName(name);
        Map<String, String> labels = new TreeMap<>();
        labels.put(FederationLabels.MANAGED_BY, FederationLabels.MANAGER);
        if (hostKind != null) {
            labels.put(FederationLabels.HOST_KIND, hostKind);
        }
        m.setLabels(labels);
        m.setAnnotations(new TreeMap<>(Map.of(POLICIES, policies)));
        return m;
    }

    /**
     * The VirtualService of the cluster-set host, when a policy owns a request setting of the service: one HTTP route
     * (all requests) to the cluster-set host, or, with a traffic shift, to the per-cluster hosts by weight.
     */
    static Optional<VirtualService> virtualService(FederatedService s, PolicyTranslator.Claims c) {
        Set<String> request = Set.of("timeout", "retries", "trafficShift", "mirror", "fault");
        if (c.owners.keySet().stream().noneMatch(request::contains)) {
            return Optional.empty();
        }
        HTTPRoute route = new HTTPRoute();
        route.setName("meshfed-policy");
        List<HTTPRouteDestination> destinations = new ArrayList<>();
        TrafficPolicy.Spec shift = c.spec("trafficShift");
        if (shift == null) {
            destinations.add(destination(s.host(), null));
        } else {
            for (TrafficPolicy.ClusterWeight w : shift.trafficShift()) {
                if (w.weight() > 0) {
                    destinations.add(destination(s.clusterHost(w.cluster()), w.weight()));
                }
            }
        }
        route.setRoute(destinations);
        TrafficPolicy.Spec timeout = c.spec("timeout");
        if (timeout != null) {
            route.setTimeout(timeout.timeout());
        }
        TrafficPolicy.Spec retries = c.spec("retries");
        if (retries != null) {
            HTTPRetry r = new HTTPRetry();
            r.setAttempts(retries.retries().attempts());
            r.setPerTryTimeout(retries.retries().perTryTimeout());
            if (!retries.retries().retryOn().isEmpty()) {
                r.setRetryOn(String.join(",", retries.retries().retryOn()));
            }
            route.setRetries(r);
        }
        TrafficPolicy.Spec fault = c.spec("fault");
        if (fault != null) {
            route.setFault(fault(fault.fault()));
        }
        TrafficPolicy.Spec mirror = c.spec("mirror");
        if (mirror != null) {
            Destination d = new Destination();
            d.setHost(s.clusterHost(mirror.mirror().cluster()));
            route.setMirror(d);
            route.setMirrorPercentage(percent(mirror.mirror().percent()));
        }
        io.fabric8.istio.api.api.networking.v1alpha3.VirtualService spec =
                new io.fabric8.istio.api.api.networking.v1alpha3.VirtualService();
        spec.setHosts(new ArrayList<>(List.of(s.host())));
        spec.setHttp(new ArrayList<>(List.of(route)));
        VirtualService vs = new VirtualService();
        vs.setApiVersion("networking.istio.io/v1");
        vs.setKind("VirtualService");
        vs.setMetadata(meta(s.namespace(), s.clustersetName(), "clusterset", c.policies(request)));
        vs.setSpec(spec);
        return Optional.of(vs);
    }

    private static HTTPRouteDestination destination(String host, Integer weight) {
        Destination d = new Destination();
        d.setHost(host);
        HTTPRouteDestination rd = new HTTPRouteDestination();
        rd.setDestination(d);
        rd.setWeight(weight);
        return rd;
    }

    private static Percent percent(double value) {
        Percent p = new Percent();
        p.setValue(value);
        return p;
    }

    private static HTTPFaultInjection fault(TrafficPolicy.Fault f) {
        HTTPFaultInjection out = new HTTPFaultInjection();
        if (f.abort() != null) {
            HTTPFaultInjectionAbort abort = new HTTPFaultInjectionAbort();
            abort.setPercentage(percent(f.abort().percent()));
            abort.setErrorType(f.abort().httpStatus() != null
                    ? new HTTPFaultInjectionAbortHttpStatus(f.abort().httpStatus())
                    : new HTTPFaultInjectionAbortGrpcStatus(f.abort().grpcStatus()));
            out.setAbort(abort);
        }
        if (f.delay() != null) {
            HTTPFaultInjectionDelay delay = new HTTPFaultInjectionDelay();
            delay.setPercentage(percent(f.delay().percent()));
            delay.setHttpDelayType(new HTTPFaultInjectionDelayFixedDelay(f.delay().fixedDelay()));
            out.setDelay(delay);
        }
        return out;
    }

    /**
     * Federation's DestinationRule with the owned destination settings merged into a copy: outlier detection and
     * connection pool replace federation's where given (unset fields keep federation's values: ejection of up to 100%
     * is what lets a whole cluster fail over), a retry budget is added, and a failover order sets {@code failover}. Istio
     * refuses {@code failover} beside region or zone in {@code failoverPriority}, so with a failover order only the
     * network stays a priority.
     */
    static DestinationRule mergedDestinationRule(DestinationRule base, PolicyTranslator.Claims c) {
        DestinationRule dr = new DestinationRuleBuilder(base).build();
        io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicy tp = dr.getSpec().getTrafficPolicy();
        TrafficPolicy.Spec outlier = c.spec("outlierDetection");
        if (outlier != null) {
            TrafficPolicy.OutlierDetection o = outlier.outlierDetection();
            OutlierDetection od = tp.getOutlierDetection() == null ? new OutlierDetection() : tp.getOutlierDetection();
            od.setConsecutive5xxErrors(o.consecutiveErrors());
            od.setConsecutiveGatewayErrors(null);
            if (o.interval() != null) {
                od.setInterval(o.interval());
            }
            if (o.baseEjectionTime() != null) {
                od.setBaseEjectionTime(o.baseEjectionTime());
            }
            if (o.maxEjectionPercent() != null) {
                od.setMaxEjectionPercent(o.maxEjectionPercent());
            }
            tp.setOutlierDetection(od);
        }
        TrafficPolicy.Spec pool = c.spec("connectionPool");
        if (pool != null) {
            TrafficPolicy.ConnectionPool p = pool.connectionPool();
            ConnectionPoolSettings cp = new ConnectionPoolSettings();
            if (p.maxConnections() != null || p.connectTimeout() != null) {
                ConnectionPoolSettingsTCPSettings tcp = new ConnectionPoolSettingsTCPSettings();
                tcp.setMaxConnections(p.maxConnections());
                tcp.setConnectTimeout(p.connectTimeout());
                cp.setTcp(tcp);
            }
            if (p.maxPendingRequests() != null || p.maxRequestsPerConnection() != null) {
                ConnectionPoolSettingsHTTPSettings http = new ConnectionPoolSettingsHTTPSettings();
                http.setHttp1MaxPendingRequests(p.maxPendingRequests());
                http.setMaxRequestsPerConnection(p.maxRequestsPerConnection());
                cp.setHttp(http);
            }
            tp.setConnectionPool(cp);
        }
        TrafficPolicy.Spec budget = c.spec("retryBudget");
        if (budget != null) {
            TrafficPolicyRetryBudget rb = new TrafficPolicyRetryBudget();
            rb.setPercent(budget.retryBudget().percent());
            if (budget.retryBudget().minRetryConcurrency() != null) {
                rb.setMinRetryConcurrency(budget.retryBudget().minRetryConcurrency().longValue());
            }
            tp.setRetryBudget(rb);
        }
        TrafficPolicy.Spec failover = c.spec("failover");
        if (failover != null) {
            LoadBalancerSettings lb = tp.getLoadBalancer() == null ? new LoadBalancerSettings() : tp.getLoadBalancer();
            LocalityLoadBalancerSetting locality = lb.getLocalityLbSetting() == null ? new LocalityLoadBalancerSetting()
                    : lb.getLocalityLbSetting();
            locality.setEnabled(true);
            List<LocalityLoadBalancerSettingFailover> order = new ArrayList<>();
            for (TrafficPolicy.Failover f : failover.failover()) {
                LocalityLoadBalancerSettingFailover one = new LocalityLoadBalancerSettingFailover();
                one.setFrom(f.from());
                one.setTo(f.to());
                order.add(one);
            }
            locality.setFailover(order);
            locality.setFailoverPriority(new ArrayList<>(List.of(FederationLabels.ISTIO_NETWORK)));
            lb.setLocalityLbSetting(locality);
            tp.setLoadBalancer(lb);
        }
        Map<String, String> annotations = new TreeMap<>(base.getMetadata().getAnnotations() == null ? Map.of()
                : base.getMetadata().getAnnotations());
        annotations.put(POLICIES, c.policies(PolicyTranslator.Claims.DESTINATION_SETTINGS));
        dr.getMetadata().setAnnotations(annotations);
        return dr;
    }

    /**
     * Request hedging, which Istio's API lacks: an EnvoyFilter in the root namespace (so it reaches every client
     * sidecar) merging Envoy's {@code hedge_policy} into the cluster-set host's virtual host on each HTTP port of the
     * outbound route configuration.
     */
    static Optional<EnvoyFilter> hedgingFilter(FederatedService s, PolicyTranslator.Claims c) {
        TrafficPolicy.Spec hedging = c.spec("hedging");
        if (hedging == null) {
            return Optional.empty();
        }
        Map<String, Object> hedge = new LinkedHashMap<>();
        if (hedging.hedging().initialRequests() != null) {
            hedge.put("initial_requests", hedging.hedging().initialRequests());
        }
        hedge.put("hedge_on_per_try_timeout", hedging.hedging().hedgeOnPerTryTimeout());
        List<EnvoyFilterEnvoyConfigObjectPatch> patches = new ArrayList<>();
        for (FederatedService.Port port : s.httpPorts()) {
            EnvoyFilterRouteConfigurationMatchVirtualHostMatch vhost =
                    new EnvoyFilterRouteConfigurationMatchVirtualHostMatch();
            vhost.setName(s.host() + ":" + port.number());
            EnvoyFilterRouteConfigurationMatch rc = new EnvoyFilterRouteConfigurationMatch();
            rc.setPortNumber((long) port.number());
            rc.setVhost(vhost);
            EnvoyFilterEnvoyConfigObjectMatch match = new EnvoyFilterEnvoyConfigObjectMatch();
            match.setContext(EnvoyFilterPatchContext.SIDECAR_OUTBOUND);
            match.setObjectTypes(new EnvoyFilterEnvoyConfigObjectMatchRouteConfiguration(rc));
            EnvoyFilterPatch patch = new EnvoyFilterPatch();
            patch.setOperation(EnvoyFilterPatchOperation.MERGE);
            patch.setValue(new io.fabric8.kubernetes.api.model.runtime.RawExtension(
                    new LinkedHashMap<>(Map.of("hedge_policy", hedge))));
            EnvoyFilterEnvoyConfigObjectPatch one = new EnvoyFilterEnvoyConfigObjectPatch();
            one.setApplyTo(EnvoyFilterApplyTo.VIRTUAL_HOST);
            one.setMatch(match);
            one.setPatch(patch);
            patches.add(one);
        }
        io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilter spec =
                new io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilter();
        spec.setConfigPatches(patches);
        EnvoyFilter ef = new EnvoyFilter();
        ef.setApiVersion("networking.istio.io/v1alpha3");
        ef.setKind("EnvoyFilter");
        ef.setMetadata(meta(FederationLabels.GATEWAY_NAMESPACE, s.name() + "." + s.namespace() + ".clusterset",
                "clusterset", c.policies(Set.of("hedging"))));
        ef.setSpec(spec);
        return Optional.of(ef);
    }

    /** One AuthorizationPolicy per (policy, service), on this cluster's workloads of the service. */
    static AuthorizationPolicy authorizationPolicy(AccessPolicy p, FederatedService s, Map<String, String> selector,
            List<String> principals) {
        Source source = new Source();
        source.setPrincipals(principals);
        RuleFrom from = new RuleFrom();
        from.setSource(source);
        Rule rule = new Rule();
        rule.setFrom(new ArrayList<>(List.of(from)));
        AccessPolicy.Operation to = p.spec().to();
        if (to != null) {
            Operation op = new Operation();
            op.setMethods(new ArrayList<>(to.methods()));
            op.setPaths(new ArrayList<>(to.paths()));
            op.setPorts(new ArrayList<>(to.ports().stream().map(String::valueOf).toList()));
            RuleTo ruleTo = new RuleTo();
            ruleTo.setOperation(op);
            rule.setTo(new ArrayList<>(List.of(ruleTo)));
        }
        WorkloadSelector ws = new WorkloadSelector();
        ws.setMatchLabels(new TreeMap<>(selector));
        io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicy spec =
                new io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicy();
        spec.setSelector(ws);
        // ALLOW is Istio's default (the proto's zero value): left unset, as istiod itself writes it back
        spec.setAction(p.spec().action() == AccessPolicy.Action.DENY ? AuthorizationPolicyAction.DENY : null);
        spec.setRules(new ArrayList<>(List.of(rule)));
        return authorization(meta(s.namespace(), s.name() + "." + p.name(), null, p.ref()), spec);
    }

    /**
     * The default deny: an ALLOW policy in the root namespace whose one rule matches no request (source address
     * {@value #NO_SOURCE}, which no connection has), so every workload admits only what another ALLOW admits. Not
     * Istio's rule-less "allow nothing" policy: Envoy sidecars deny with it, but istiod builds a proxyless gRPC
     * server's RBAC from rules only ({@code pilot/pkg/networking/grpcgen/lds.go}), so without a rule those servers
     * would admit every caller.
     */
    static AuthorizationPolicy defaultDeny(List<String> policies) {
        Source source = new Source();
        source.setIpBlocks(new ArrayList<>(List.of(NO_SOURCE)));
        RuleFrom from = new RuleFrom();
        from.setSource(source);
        Rule rule = new Rule();
        rule.setFrom(new ArrayList<>(List.of(from)));
        io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicy spec =
                new io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicy();
        spec.setRules(new ArrayList<>(List.of(rule)));
        return authorization(meta(FederationLabels.GATEWAY_NAMESPACE, DEFAULT_DENY_NAME, null,
                String.join(",", policies)), spec);
    }

    private static AuthorizationPolicy authorization(ObjectMeta meta,
            io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicy spec) {
        AuthorizationPolicy ap = new AuthorizationPolicy();
        ap.setApiVersion("security.istio.io/v1");
        ap.setKind("AuthorizationPolicy");
        ap.setMetadata(meta);
        ap.setSpec(spec);
        return ap;
    }
}
