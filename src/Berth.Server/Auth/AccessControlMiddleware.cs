using System.Security.Claims;
using Berth.Auth;
using Berth.Auth.Access;
using Berth.Auth.Scopes;
using Berth.Oci.Auth;
using Berth.Oci.Api;
using Berth.Oci.Errors;
using Berth.Oci.Names;
using Berth.Server.Pipeline;
using Berth.Server.Responses;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Berth.Server.Logging;

namespace Berth.Server.Auth;

/// <summary>
/// Authentication and authorization for every /v2/ request, decided from the credentials, the route and
/// the method alone, before the endpoint reads anything: a caller without access learns nothing, not even
/// whether a repository exists. No or bad credentials are answered 401 with the Bearer challenge; a known
/// caller the rules do not allow, 403 DENIED.
/// </summary>
internal sealed partial class AccessControlMiddleware(RequestDelegate next, BerthAuth auth, ILogger<AccessControlMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var parsed = RegistryRoute.Of(context);
        var route = parsed.Path;
        var required = RequiredAccess.For(route, parsed.NameIsValid, request.Method, auth.Options.TagHistoryNeeds);

        var header = AuthorizationHeader.Parse(request.Headers.Authorization);
        Caller caller;
        switch (header.Scheme)
        {
            case AuthorizationScheme.None:
                caller = Caller.Anonymous;
                break;
            case AuthorizationScheme.Basic:
                var user = auth.AuthenticatePassword(FailedLoginResponse.ClientOf(context), header.User, header.Password, out var retryAfter);
                if (retryAfter > TimeSpan.Zero) return FailedLoginResponse.WriteAsync(context, retryAfter);
                if (user is null) return ChallengeAsync(context, required, null);
                caller = user;
                break;
            case AuthorizationScheme.Bearer:
                var token = auth.AuthenticateToken(header.Token, out var failure);
                if (token is null)
                {
                    logger.TokenRejected(failure ?? "invalid");
                    return ChallengeAsync(context, required, AuthenticationChallenge.InvalidToken);
                }
                caller = token;
                break;
            default:
                return ChallengeAsync(context, required, null);
        }

        switch (auth.Decide(caller, required))
        {
            case AccessDecision.Unauthenticated:
                return ChallengeAsync(context, required, null);
            case AccessDecision.InsufficientScope:
                return ChallengeAsync(context, required, AuthenticationChallenge.InsufficientScope);
            case AccessDecision.Denied:
                return ErrorResponse.WriteAsync(context, new RegistryError(StatusCodes.Status403Forbidden, ErrorCode.Denied,
                    "requested access to the resource is denied"));
        }

        if (caller.Kind != CallerKind.Anonymous && caller.Name.Length > 0)
        {
            // The endpoint records the actor of tag moves from the request's user.
            context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, caller.Name)], "berth"));
        }
        context.Features.Set(new RepositoryVisibility(repository => auth.Authorizer.MayPull(caller, repository)));
        if (route is { Kind: RouteKind.UploadStart })
        {
            // The mount decision travels as a value the endpoint asks with the "from" it will use (end-11).
            context.Features.Set(new MountPermission(repository => auth.Authorizer.MayMountFrom(caller, repository)));
        }
        return next(context);
    }

    private Task ChallengeAsync(HttpContext context, RequiredAccess required, string? error)
    {
        var request = context.Request;
        var realm = auth.Options.Realm ?? $"{request.Scheme}://{request.Host}/auth/token";
        return ErrorResponse.WriteAsync(context,
            RegistryError.Unauthorized(AuthenticationChallenge.Bearer(realm, auth.Options.Service, required.ChallengeScope, error)));
    }
}
