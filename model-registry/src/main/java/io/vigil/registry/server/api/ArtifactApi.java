package io.vigil.registry.server.api;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.vigil.registry.server.MlflowException;
import io.vigil.registry.server.artifacts.ArtifactPaths;
import io.vigil.registry.server.artifacts.ArtifactStore;
import java.io.InputStream;

/**
 * The artifact proxy of {@code mlflow_artifacts.proto}: download, upload, list and delete under
 * the artifact root. The path is taken from the raw (undecoded) request URI, decoded exactly once
 * and checked by {@link ArtifactPaths} before any storage call.
 */
public final class ArtifactApi {

  public static final String PREFIX = "/api/2.0/mlflow-artifacts/artifacts";

  private final ApiSupport api;
  private final ArtifactStore artifacts;
  private final long maxUploadBytes;

  public ArtifactApi(ApiSupport api, ArtifactStore artifacts, long maxUploadBytes) {
    this.api = requireNonNull(api, "api");
    this.artifacts = requireNonNull(artifacts, "artifacts");
    this.maxUploadBytes = maxUploadBytes;
  }

  public void register(Javalin app) {
    app.get(PREFIX, this::list);
    app.get(PREFIX + "/<path>", this::download);
    app.put(PREFIX + "/<path>", this::upload);
    app.delete(PREFIX + "/<path>", this::delete);
  }

  /** The checked relative path of an artifact request, from its raw URI. */
  public static String rawPath(Context ctx) {
    String raw = ctx.req().getRequestURI();
    if (!raw.startsWith(PREFIX + "/")) {
      throw MlflowException.invalid("Invalid artifact path");
    }
    return ArtifactPaths.fromRawUrl(raw.substring(PREFIX.length() + 1));
  }

  private void list(Context ctx) {
    Params p = api.params(ctx);
    String path = ArtifactPaths.relative(p.optString("path") == null ? "" : p.optString("path"));
    ObjectNode out = ProtoJson.object();
    ArrayNode files = out.putArray("files");
    for (ArtifactStore.FileInfo f : artifacts.list(path)) {
      ObjectNode o = files.addObject();
      o.put("path", f.path());
      o.put("is_dir", f.isDir());
      if (!f.isDir()) {
        o.put("file_size", Long.toString(f.fileSize()));
      }
    }
    api.json(ctx, out);
  }

  private void download(Context ctx) throws Exception {
    String path = rawPath(ctx);
    InputStream in = artifacts.get(path);
    ctx.contentType("application/octet-stream");
    ctx.header("Content-Disposition", "attachment");
    ctx.header("X-Content-Type-Options", "nosniff");
    try (in) {
      in.transferTo(ctx.outputStream());
    }
  }

  private void upload(Context ctx) throws Exception {
    String path = rawPath(ctx);
    long length = ctx.req().getContentLengthLong();
    if (length > maxUploadBytes) {
      throw MlflowException.invalid("Artifact larger than the maximum of " + maxUploadBytes + " bytes");
    }
    try (InputStream in = new BoundedInputStream(ctx.bodyInputStream(), maxUploadBytes)) {
      artifacts.put(path, in, length);
    }
    api.json(ctx, ProtoJson.object());
  }

  /** Fails the upload once more than {@code max} bytes arrive (bodies without a length). */
  private static final class BoundedInputStream extends java.io.FilterInputStream {
    private final long max;
    private long read;

    BoundedInputStream(InputStream in, long max) {
      super(in);
      this.max = max;
    }

    @Override
    public int read() throws java.io.IOException {
      int b = super.read();
      if (b >= 0) {
        count(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws java.io.IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count(n);
      }
      return n;
    }

    private void count(int n) {
      read += n;
      if (read > max) {
        throw MlflowException.invalid("Artifact larger than the maximum of " + max + " bytes");
      }
    }
  }

  private void delete(Context ctx) {
    artifacts.delete(rawPath(ctx));
    api.json(ctx, ProtoJson.object());
  }
}
