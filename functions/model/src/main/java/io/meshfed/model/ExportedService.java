package io.meshfed.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.Comparator;
import java.util.List;

/**
 * A service one cluster exports to the mesh federation: its ports and its endpoints in that cluster.
 * Ports are sorted by number and endpoints by address, so two reads of the same state are equal.
 */
public record ExportedService(String namespace, String name, List<ServicePort> ports, List<ServiceEndpoint> endpoints) {
    public ExportedService {
        Violations v = new Violations()
                .check("namespace", Rules.dns1123Label(namespace))
                .check("name", Rules.dns1123Label(name));
        if (ports == null || ports.isEmpty()) {
            v.add("ports", "an exported service needs at least one port");
        } else if (ports.stream().map(ServicePort::name).distinct().count() != ports.size()
                || ports.stream().map(ServicePort::port).distinct().count() != ports.size()) {
            v.add("ports", "port names and numbers must be unique");
        }
        v.throwIfAny();
        ports = ports.stream().sorted(Comparator.comparingInt(ServicePort::port)).toList();
        endpoints = endpoints == null ? List.of()
                : endpoints.stream().sorted(Comparator.comparing(ServiceEndpoint::address)).toList();
    }

    /** "namespace/name": unique within one cluster's catalog. */
    @JsonIgnore
    public String key() {
        return namespace + "/" + name;
    }
}
