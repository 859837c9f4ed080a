package io.vigil.pipeline.scoring;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;

/** The gRPC channel of one scoring subtask to the serving process (Netty, shaded). */
final class ServingChannels {

  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private ServingChannels() {}

  static ManagedChannel open(ScoringJobConfig.Serving s) {
    ChannelCredentials creds;
    if (s.tls()) {
      TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
      if (s.tlsTrustCertFile() != null) {
        try {
          b.trustManager(new File(s.tlsTrustCertFile()));
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read serving.tlsTrustCertFile " + s.tlsTrustCertFile(), e);
        }
      }
      creds = b.build();
    } else {
      creds = InsecureChannelCredentials.create();
    }
    NettyChannelBuilder b = NettyChannelBuilder.forAddress(s.host(), s.port(), creds)
        // the serving process permits a ping every 10 s at most (keepalive.permitTimeSeconds)
        .keepAliveTime(30, TimeUnit.SECONDS)
        .keepAliveTimeout(10, TimeUnit.SECONDS)
        .userAgent("vigil-scoring");
    if (s.authToken() != null) {
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + s.authToken());
      b.intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    return b.build();
  }
}
