package io.meshfed.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProtocolSelectionTest {

    @ParameterizedTest(name = "{0} appProtocol={1} name={2} -> {3}")
    @CsvSource(nullValues = "-", value = {
        "TCP, -, http, HTTP",
        "TCP, -, http-web, HTTP",
        "TCP, -, HTTP2-api, HTTP2",
        "TCP, -, grpc, GRPC",
        "TCP, -, grpc-web, GRPC-WEB",
        "TCP, -, grpc-web-ui, GRPC-WEB",
        "TCP, -, https-admin, HTTPS",
        "TCP, -, tls, TLS",
        "TCP, -, mongo-primary, MONGO",
        "TCP, -, redis, REDIS",
        "TCP, -, mysql, MYSQL",
        "TCP, -, web, TCP",
        "TCP, -, -, TCP",
        "-, -, http, HTTP",
        "UDP, -, http, UDP",
        "TCP, grpc, http, GRPC",
        "TCP, kubernetes.io/h2c, http, HTTP2",
        "TCP, kubernetes.io/ws, tcp, HTTP",
        "TCP, kubernetes.io/wss, tcp, HTTPS",
        "TCP, example.com/custom, http, TCP",
        "TCP, HTTP, tcp, HTTP",
    })
    void followsIstioProtocolSelection(String transport, String appProtocol, String name, String expected) {
        assertEquals(expected, ProtocolSelection.select(transport, appProtocol, name));
    }
}
