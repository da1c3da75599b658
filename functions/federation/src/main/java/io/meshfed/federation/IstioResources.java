package io.meshfed.federation;

import io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettingsTLSmode;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.LocalityLoadBalancerSetting;
import io.fabric8.istio.api.api.networking.v1alpha3.OutlierDetection;
import io.fabric8.istio.api.api.networking.v1alpha3.Port;
import io.fabric8.istio.api.api.networking.v1alpha3.Server;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettingsTLSmode;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryLocation;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution;
import io.fabric8.istio.api.api.networking.v1alpha3.ServicePort;
import io.fabric8.istio.api.api.networking.v1alpha3.Subset;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.WorkloadEntry;
import io.fabric8.istio.api.api.networking.v1alpha3.WorkloadSelector;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds the fabric8 Istio objects. Every method is a pure function of its arguments; the returned objects are
 * new (except the shared, read-only traffic policy) and must not be mutated by callers.
 */
final class IstioResources {
    static final String API_VERSION = "networking.istio.io/v1";

    /**
     * Endpoint priority for locality failover, in Istio's {@code failoverPriority} form: P0 = same region, zone and
     * network as the calling proxy (no gateway hop), P1 = same region and zone, P2 = same region, P3 = anywhere.
     */
    static final List<String> FAILOVER_PRIORITY = List.of(
            FederationLabels.K8S_REGION, FederationLabels.K8S_ZONE, FederationLabels.ISTIO_NETWORK);

    /** One instance shared by every DestinationRule: it is identical everywhere and never mutated. */
    private static final TrafficPolicy TRAFFIC_POLICY = trafficPolicy();

    private IstioResources() {
    }

    private static TrafficPolicy trafficPolicy() {
        ClientTLSSettings tls = new ClientTLSSettings();
        tls.setMode(ClientTLSSettingsTLSmode.ISTIO_MUTUAL);
        LocalityLoadBalancerSetting locality = new LocalityLoadBalancerSetting();
        locality.setEnabled(true);
        locality.setFailoverPriority(new ArrayList<>(FAILOVER_PRIORITY));
        LoadBalancerSettings lb = new LoadBalancerSettings();
        lb.setLocalityLbSetting(locality);
        // Without outlier detection Envoy never leaves priority 0, so failover would never happen. 100% ejection
        // lets a whole unhealthy locality (or a whole withheld cluster behind one gateway) be ejected.
        OutlierDetection outlier = new OutlierDetection();
        outlier.setConsecutive5xxErrors(5);
        outlier.setConsecutiveGatewayErrors(3);
        outlier.setInterval("10s");
        outlier.setBaseEjectionTime("30s");
        outlier.setMaxEjectionPercent(100);
        TrafficPolicy policy = new TrafficPolicy();
        policy.setTls(tls);
        policy.setLoadBalancer(lb);
        policy.setOutlierDetection(outlier);
        return policy;
    }

    /*
     * The fabric8 constructors give every collection field a new, empty, mutable collection of its own. The
     * objects built here are read-only (see FederationConfig), so the builders below point every field that stays
     * empty at the shared immutable empty instead: equal, serialized identically (empty collections are omitted),
     * and a third less heap retained by a large translation, which is also what a garbage collection has to copy.
     */

    static ObjectMeta metadata(String namespace, String name, Map<String, String> labels,
            Map<String, String> annotations) {
        ObjectMeta meta = new ObjectMeta();
        meta.setNamespace(namespace);
        meta.setName(name);
        meta.setLabels(labels);
        meta.setAnnotations(annotations.isEmpty() ? Map.of() : annotations);
        meta.setFinalizers(List.of());
        meta.setManagedFields(List.of());
        meta.setOwnerReferences(List.of());
        meta.setAdditionalProperties(Map.of());
        return meta;
    }

    static ServicePort port(String name, int number, String protocol) {
        ServicePort p = new ServicePort();
        p.setName(name);
        p.setNumber((long) number);
        p.setProtocol(protocol);
        return p;
    }

    static WorkloadEntry endpoint(String address, Map<String, String> labels, String locality, String network,
            Map<String, Long> ports, Long weight) {
        WorkloadEntry e = new WorkloadEntry();
        e.setAddress(address);
        e.setLabels(labels);
        e.setLocality(locality);
        e.setNetwork(network);
        e.setPorts(ports);
        e.setWeight(weight);
        e.setAdditionalProperties(Map.of());
        return e;
    }

    /**
     * A ServiceEntry with its endpoints inline ({@code selector} null) or selected from WorkloadEntries by
     * {@code selector} ({@code endpoints} then empty).
     */
    static ServiceEntry serviceEntry(ObjectMeta meta, String host, String vip, List<ServicePort> ports,
            boolean dnsResolution, List<WorkloadEntry> endpoints, Map<String, String> selector) {
        io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntry spec =
                new io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntry();
        spec.setHosts(List.of(host));
        spec.setAddresses(List.of(vip));
        spec.setPorts(ports);
        spec.setLocation(ServiceEntryLocation.MESH_INTERNAL);
        spec.setResolution(dnsResolution ? ServiceEntryResolution.DNS : ServiceEntryResolution.STATIC);
        spec.setEndpoints(selector == null ? endpoints : List.of());
        if (selector != null) {
            WorkloadSelector ws = new WorkloadSelector();
            ws.setLabels(selector);
            ws.setAdditionalProperties(Map.of());
            spec.setWorkloadSelector(ws);
        }
        spec.setExportTo(List.of());
        spec.setSubjectAltNames(List.of());
        spec.setAdditionalProperties(Map.of());
        ServiceEntry se = new ServiceEntry();
        se.setApiVersion(API_VERSION);
        se.setKind("ServiceEntry");
        se.setMetadata(meta);
        se.setSpec(spec);
        se.setAdditionalProperties(Map.of());
        return se;
    }

    /** A WorkloadEntry object holding {@code spec}, one endpoint of a ServiceEntry that selects it. */
    static io.fabric8.istio.api.networking.v1.WorkloadEntry workloadEntry(ObjectMeta meta, WorkloadEntry spec) {
        io.fabric8.istio.api.networking.v1.WorkloadEntry we = new io.fabric8.istio.api.networking.v1.WorkloadEntry();
        we.setApiVersion(API_VERSION);
        we.setKind("WorkloadEntry");
        we.setMetadata(meta);
        we.setSpec(spec);
        we.setAdditionalProperties(Map.of());
        return we;
    }

    static DestinationRule destinationRule(ObjectMeta meta, String host, List<Subset> subsets) {
        io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule spec =
                new io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule();
        spec.setHost(host);
        spec.setTrafficPolicy(TRAFFIC_POLICY);
        spec.setSubsets(subsets);
        spec.setExportTo(List.of());
        spec.setAdditionalProperties(Map.of());
        DestinationRule dr = new DestinationRule();
        dr.setApiVersion(API_VERSION);
        dr.setKind("DestinationRule");
        dr.setMetadata(meta);
        dr.setSpec(spec);
        dr.setAdditionalProperties(Map.of());
        return dr;
    }

    static Subset subset(String name, String labelKey, String labelValue) {
        Subset s = new Subset();
        s.setName(name);
        s.setLabels(new TreeMap<>(Map.of(labelKey, labelValue)));
        return s;
    }

    static Gateway eastWestGateway(ObjectMeta meta, int port, List<String> hosts) {
        Port p = new Port();
        p.setName("tls-meshfed");
        p.setNumber((long) port);
        p.setProtocol("TLS");
        ServerTLSSettings tls = new ServerTLSSettings();
        tls.setMode(ServerTLSSettingsTLSmode.AUTO_PASSTHROUGH);
        Server server = new Server();
        server.setPort(p);
        server.setTls(tls);
        server.setHosts(hosts);
        io.fabric8.istio.api.api.networking.v1alpha3.Gateway spec =
                new io.fabric8.istio.api.api.networking.v1alpha3.Gateway();
        spec.setSelector(new TreeMap<>(Map.of(
                FederationLabels.EAST_WEST_SELECTOR_KEY, FederationLabels.EAST_WEST_SELECTOR_VALUE)));
        spec.setServers(new ArrayList<>(List.of(server)));
        Gateway gw = new Gateway();
        gw.setApiVersion(API_VERSION);
        gw.setKind("Gateway");
        gw.setMetadata(meta);
        gw.setSpec(spec);
        return gw;
    }
}
