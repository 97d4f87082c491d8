package io.ringkv.ecs.api;

import io.ringkv.ecs.ClusterException;
import org.springframework.context.annotation.Profile;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Every error of the ECS's API as an RFC 9457 problem: refusals of the coordinator with their
 * status, and Spring MVC's own (unsupported media type, unknown method, ...) through the base class.
 */
@RestControllerAdvice(assignableTypes = EcsController.class)
@Profile("ecs")
class EcsProblems extends ResponseEntityExceptionHandler {

    @ExceptionHandler(ClusterException.class)
    ProblemDetail refused(ClusterException e) {
        HttpStatus status = switch (e.kind()) {
            case BAD_REQUEST -> HttpStatus.BAD_REQUEST;
            case NOT_FOUND -> HttpStatus.NOT_FOUND;
            case CONFLICT -> HttpStatus.CONFLICT;
            case FORBIDDEN -> HttpStatus.FORBIDDEN;
        };
        return ProblemDetail.forStatusAndDetail(status, e.getMessage());
    }
}
