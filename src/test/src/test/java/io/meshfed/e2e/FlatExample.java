package io.meshfed.e2e;

import io.meshfed.local.WorkloadApiServer;
import io.meshfed.model.ModelJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes an example with two clusters on one flat network ({@code net-flat}), so each cluster's istiod and proxies
 * dial the other's pods directly: {@code east} in us-east/us-east-a and {@code west} in us-west/us-west-a, each
 * exporting {@code demo/echo} (gRPC, port 7070) with one pod at the given address and port; {@code west} also
 * exports {@code shop/cart} (HTTP 8080 -> 8081). Ordinary Kubernetes YAML, read by the same loader as examples/.
 */
final class FlatExample {
    private FlatExample() {
    }

    record Pod(String address, int port) {
    }

    /**
     * Registration data for one of the example's clusters as an operator sends it: on {@code net-flat}, its API
     * server's URL, CA and a token.
     */
    static String registration(WorkloadApiServer api, String name, String region, String zone, String gateway)
            throws IOException {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("name", name);
        data.put("network", "net-flat");
        data.put("locality", Map.of("region", region, "zone", zone));
        data.put("eastWestGateway", Map.of("address", gateway, "port", 15443));
        data.put("trustDomain", name + ".e2e.meshfed.example");
        data.put("apiServer", Map.of("url", api.url(), "caData", api.caPem()));
        data.put("credentials", Map.of("token", api.token()));
        return ModelJson.mapper().writeValueAsString(data);
    }

    static Path write(Path root, Pod east, Pod west) throws IOException {
        cluster(root.resolve("east"), "east", "us-east", "us-east-a", "192.0.2.1", east);
        cluster(root.resolve("west"), "west", "us-west", "us-west-a", "192.0.2.2", west);
        Files.writeString(root.resolve("west/cart.yaml"), """
                apiVersion: v1
                kind: Service
                metadata: {name: cart, namespace: shop, labels: {meshfed.io/export: "true"}}
                spec:
                  selector: {app: cart}
                  ports: [{name: http, port: 8080, targetPort: 8081, appProtocol: http}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: cart-1, namespace: shop, labels: {kubernetes.io/service-name: cart}}
                addressType: IPv4
                ports: [{name: http, port: 8081, protocol: TCP}]
                endpoints:
                  - addresses: ["10.2.0.8"]
                    conditions: {ready: true}
                    zone: us-west-a
                """);
        return root;
    }

    private static void cluster(Path dir, String name, String region, String zone, String gateway, Pod pod)
            throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("cluster.yaml"), """
                name: %s
                network: net-flat
                region: %s
                zone: %s
                trustDomain: %s.e2e.meshfed.example
                """.formatted(name, region, zone, name));
        Files.writeString(dir.resolve("gateway.yaml"), """
                apiVersion: v1
                kind: Service
                metadata: {name: istio-eastwestgateway, namespace: istio-system, labels: {istio: eastwestgateway}}
                spec:
                  type: LoadBalancer
                  ports: [{name: tls, port: 15443, targetPort: 15443}]
                status: {loadBalancer: {ingress: [{ip: %s}]}}
                """.formatted(gateway));
        Files.writeString(dir.resolve("echo.yaml"), echo(name, zone, pod));
    }

    /**
     * {@code demo/echo} of cluster {@code name}: exported by an MCS ServiceExport, gRPC 7070 to the pod's port, one
     * ready endpoint in {@code zone} and its Pod (labels app=echo, version=v1).
     */
    static String echo(String name, String zone, Pod pod) {
        return """
                apiVersion: multicluster.x-k8s.io/v1alpha1
                kind: ServiceExport
                metadata: {name: echo, namespace: demo}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: echo, namespace: demo}
                spec:
                  selector: {app: echo}
                  ports: [{name: grpc, port: 7070, targetPort: %d, appProtocol: grpc}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: echo-1, namespace: demo, labels: {kubernetes.io/service-name: echo}}
                addressType: IPv4
                ports: [{name: grpc, port: %d, protocol: TCP}]
                endpoints:
                  - addresses: ["%s"]
                    conditions: {ready: true}
                    zone: %s
                    targetRef: {kind: Pod, namespace: demo, name: echo-%s-0}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: echo-%s-0, namespace: demo, labels: {app: echo, version: v1}}
                spec:
                  containers: [{name: echo, image: echo}]
                """.formatted(pod.port(), pod.port(), pod.address(), zone, name, name);
    }
}
