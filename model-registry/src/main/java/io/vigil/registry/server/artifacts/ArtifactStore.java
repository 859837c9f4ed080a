package io.vigil.registry.server.artifacts;

import static java.util.Objects.requireNonNull;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.Item;
import io.vigil.registry.server.ErrorCode;
import io.vigil.registry.server.MlflowException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Artifacts in S3 (MinIO, s3proxy, AWS) under one {@link ArtifactRoot}, through the MinIO SDK.
 * Paths given here are relative to the root and must have passed {@link ArtifactPaths}.
 */
public final class ArtifactStore {

  private static final Logger LOG = LoggerFactory.getLogger(ArtifactStore.class);

  /** One entry of a listing: path relative to the listed directory. */
  public record FileInfo(String path, boolean isDir, long fileSize) {
    public FileInfo {
      requireNonNull(path, "path");
    }
  }

  private final MinioClient minio;
  private final ArtifactRoot root;

  public ArtifactStore(MinioClient minio, ArtifactRoot root) {
    this.minio = requireNonNull(minio, "minio");
    this.root = requireNonNull(root, "root");
  }

  public ArtifactRoot root() {
    return root;
  }

  /** Creates the bucket if it is missing. */
  public void ensureBucket() {
    call("check bucket", () -> {
      if (!minio.bucketExists(BucketExistsArgs.builder().bucket(root.bucket()).build())) {
        minio.makeBucket(MakeBucketArgs.builder().bucket(root.bucket()).build());
        LOG.info("created bucket {}", root.bucket());
      }
      return null;
    });
  }

  public boolean reachable() {
    try {
      return minio.bucketExists(BucketExistsArgs.builder().bucket(root.bucket()).build());
    } catch (Exception e) {
      LOG.warn("artifact store not reachable: {}", e.toString());
      return false;
    }
  }

  public void put(String relative, InputStream body, long size) {
    requireFile(relative);
    call("upload artifact", () -> minio.putObject(PutObjectArgs.builder()
        .bucket(root.bucket()).object(root.key(relative))
        .stream(body, size, size < 0 ? 16L * 1024 * 1024 : -1)
        .contentType("application/octet-stream").build()));
  }

  /** Opens an artifact; the caller closes the stream. */
  public InputStream get(String relative) {
    requireFile(relative);
    return call("download artifact", () -> {
      try {
        minio.statObject(StatObjectArgs.builder().bucket(root.bucket()).object(root.key(relative)).build());
      } catch (ErrorResponseException e) {
        if ("NoSuchKey".equals(e.errorResponse().code()) || "NoSuchObject".equals(e.errorResponse().code())) {
          throw MlflowException.notFound("Artifact '" + relative + "' not found");
        }
        throw e;
      }
      return minio.getObject(GetObjectArgs.builder().bucket(root.bucket()).object(root.key(relative)).build());
    });
  }

  public void delete(String relative) {
    requireFile(relative);
    call("delete artifact", () -> {
      minio.removeObject(RemoveObjectArgs.builder().bucket(root.bucket()).object(root.key(relative)).build());
      return null;
    });
  }

  /** The direct children of a directory (relative path, "" = the root). */
  public List<FileInfo> list(String relativeDir) {
    String base = root.key(relativeDir);
    String prefix = base.isEmpty() ? "" : base + "/";
    return call("list artifacts", () -> {
      List<FileInfo> out = new ArrayList<>();
      for (Result<Item> r : minio.listObjects(ListObjectsArgs.builder()
          .bucket(root.bucket()).prefix(prefix).recursive(false).build())) {
        Item item = r.get();
        String name = item.objectName().substring(prefix.length());
        if (name.endsWith("/")) {
          name = name.substring(0, name.length() - 1);
        }
        if (name.isEmpty()) {
          continue;
        }
        out.add(item.isDir() ? new FileInfo(name, true, 0) : new FileInfo(name, false, item.size()));
      }
      return out;
    });
  }

  private static void requireFile(String relative) {
    if (relative.isEmpty()) {
      throw MlflowException.invalid("An artifact path is required");
    }
  }

  @FunctionalInterface
  private interface S3Call<T> {
    T run() throws Exception;
  }

  private static <T> T call(String what, S3Call<T> call) {
    try {
      return call.run();
    } catch (MlflowException e) {
      throw e;
    } catch (Exception e) {
      for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
        if (t instanceof MlflowException m) {
          throw m; // e.g. an upload over the size limit, wrapped by the SDK
        }
      }
      LOG.error("S3 error: {}", what, e);
      throw new MlflowException(ErrorCode.TEMPORARILY_UNAVAILABLE,
          what + " failed: the artifact store is unavailable", e);
    }
  }
}
