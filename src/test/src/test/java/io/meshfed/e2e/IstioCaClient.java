package io.meshfed.e2e;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.WireFormat;
import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A client of istiod's CA service ({@code istio.v1.auth.IstioCertificateService/CreateCertificate} on its secure
 * gRPC port, 15012 in a cluster), the call istio-agent makes for every workload: TLS trusting only the roots given,
 * the workload's Kubernetes service-account token as {@code authorization: Bearer}.
 *
 * <p>The two messages are encoded by hand (istio/api {@code security/v1alpha1/ca.proto}):
 * {@code IstioCertificateRequest{string csr = 1; int64 validity_duration = 3; google.protobuf.Struct metadata = 4}},
 * {@code IstioCertificateResponse{repeated string cert_chain = 1}}, so the test needs no generated code.
 *
 * <p>Thread-safe (one grpc-java channel); close it.
 */
final class IstioCaClient implements AutoCloseable {
    /** The host name istiod's serving certificate is issued for (its {@code getDNSNames}, namespace istio-system). */
    static final String ISTIOD_HOST = "istiod.istio-system.svc";

    /** istio {@code pkg/security}: metadata key through which a trusted node agent asks for another identity. */
    static final String IMPERSONATED_IDENTITY = "ImpersonatedIdentity";

    /** What is sent: the CSR PEM, the requested lifetime (0: istiod's default) and the request metadata. */
    record Request(String csrPem, Duration validity, Map<String, String> metadata) {
        Request {
            metadata = Map.copyOf(metadata);
        }
    }

    static final MethodDescriptor<Request, List<String>> CREATE_CERTIFICATE =
            MethodDescriptor.<Request, List<String>>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName(MethodDescriptor.generateFullMethodName(
                            "istio.v1.auth.IstioCertificateService", "CreateCertificate"))
                    .setRequestMarshaller(new RequestMarshaller())
                    .setResponseMarshaller(new ResponseMarshaller())
                    .build();

    private final ManagedChannel channel;

    /** A TLS channel to {@code 127.0.0.1:port} that trusts exactly {@code trustedRootsPem}, verified as {@link #ISTIOD_HOST}. */
    IstioCaClient(int port, String trustedRootsPem) {
        try {
            ChannelCredentials tls = TlsChannelCredentials.newBuilder()
                    .trustManager(new ByteArrayInputStream(trustedRootsPem.getBytes(StandardCharsets.US_ASCII)))
                    .build();
            channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, tls).overrideAuthority(ISTIOD_HOST).build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the trusted roots", e);
        }
    }

    /**
     * One CreateCertificate call; returns istiod's {@code cert_chain} (leaf first, its root last) or throws the
     * call's {@link io.grpc.StatusRuntimeException}.
     */
    List<String> createCertificate(Request request, Optional<String> bearerToken) {
        Metadata headers = new Metadata();
        bearerToken.ifPresent(t -> headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
                "Bearer " + t));
        return ClientCalls.blockingUnaryCall(
                ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)),
                CREATE_CERTIFICATE, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), request);
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class RequestMarshaller implements MethodDescriptor.Marshaller<Request> {
        @Override
        public InputStream stream(Request r) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            try {
                out.writeString(1, r.csrPem());
                if (!r.validity().isZero()) {
                    out.writeInt64(3, r.validity().toSeconds());
                }
                if (!r.metadata().isEmpty()) {
                    Struct.Builder metadata = Struct.newBuilder();
                    r.metadata().forEach((k, v) -> metadata.putFields(k, Value.newBuilder().setStringValue(v).build()));
                    out.writeMessage(4, metadata.build());
                }
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new ByteArrayInputStream(bytes.toByteArray());
        }

        @Override
        public Request parse(InputStream stream) {
            throw new UnsupportedOperationException("client side only");
        }
    }

    private static final class ResponseMarshaller implements MethodDescriptor.Marshaller<List<String>> {
        /** Field 1, wire type 2 (length-delimited). */
        private static final int CERT_CHAIN_TAG = 1 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;

        @Override
        public InputStream stream(List<String> value) {
            throw new UnsupportedOperationException("client side only");
        }

        @Override
        public List<String> parse(InputStream stream) {
            try {
                CodedInputStream in = CodedInputStream.newInstance(stream);
                List<String> chain = new ArrayList<>();
                for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                    if (tag == CERT_CHAIN_TAG) {
                        chain.add(in.readStringRequireUtf8());
                    } else if (!in.skipField(tag)) {
                        break;
                    }
                }
                return List.copyOf(chain);
            } catch (IOException e) {
                throw new UncheckedIOException("unreadable IstioCertificateResponse", e);
            }
        }
    }
}
