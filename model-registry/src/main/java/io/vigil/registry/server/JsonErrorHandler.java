package io.vigil.registry.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;

/**
 * Jetty's own error responses (requests it refuses before any handler runs, e.g. a NUL in the
 * path) as MLflow JSON instead of HTML, with no internals.
 */
final class JsonErrorHandler extends ErrorHandler {

  private static byte[] body(int status) {
    ErrorCode code = status == 404 ? ErrorCode.ENDPOINT_NOT_FOUND
        : status >= 500 ? ErrorCode.INTERNAL_ERROR : ErrorCode.BAD_REQUEST;
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("error_code", code.name());
    o.put("message", status >= 500 ? "Internal error" : "Malformed request");
    return o.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
    fields.put(new HttpField(HttpHeader.CONTENT_TYPE, "application/json"));
    return ByteBuffer.wrap(body(status));
  }

  @Override
  public void handle(String target, Request baseRequest, HttpServletRequest request,
      HttpServletResponse response) throws IOException {
    baseRequest.setHandled(true);
    response.setContentType("application/json");
    response.getOutputStream().write(body(response.getStatus()));
  }
}
