package io.meshfed.model;

import com.fasterxml.jackson.annotation.JsonIgnore;

/** A cluster's east-west gateway as other clusters reach it: IP or DNS name, and the mTLS port (Istio: 15443). */
public record GatewayAddress(String address, int port) {
    public static final int ISTIO_EAST_WEST_PORT = 15443;

    public GatewayAddress {
        validate(address, port).throwIfAny();
    }

    public static Violations validate(String address, int port) {
        return new Violations().check("address", Rules.ipOrDnsName(address)).check("port", Rules.port(port));
    }

    /** True for an IP literal (ServiceEntry STATIC resolution), false for a host name (DNS resolution). */
    @JsonIgnore
    public boolean isIp() {
        return Rules.isIpAddress(address);
    }
}
