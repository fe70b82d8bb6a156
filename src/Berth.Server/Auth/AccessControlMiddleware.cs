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
using Microsoft.Extensions.Primitives;
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
        var required = RequiredAccess.For(route, parsed.NameIsValid, request.Method);

        var header = AuthorizationHeader.Parse(request.Headers.Authorization);
        Caller caller;
        switch (header.Scheme)
        {
            case AuthorizationScheme.None:
                caller = Caller.Anonymous;
                break;
            case AuthorizationScheme.Basic when auth.AuthenticatePassword(header.User, header.Password) is { } user:
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
        if (route is { Kind: RouteKind.UploadStart } && request.Query.ContainsKey("mount")) GuardMount(request, route.Name, caller);
        return next(context);
    }

    /// <summary>
    /// distribution-spec end-11: a mount needs pull on the source repository. Without it the mount parameters
    /// are dropped and the request becomes an ordinary upload session (202), exactly what the client would
    /// see if the blob were not there, so a refusal reveals nothing about the source. A mount without "from"
    /// would let the registry take the blob from any repository, so under access control it may only
    /// come from the target itself, and only for a caller who may pull that.
    /// </summary>
    private void GuardMount(HttpRequest request, string target, Caller caller)
    {
        var from = request.Query["from"].ToString();
        string? allowedFrom = from.Length > 0
            ? RepositoryName.IsValid(from) && auth.Authorizer.MayPull(caller, from) ? from : null
            : auth.Authorizer.MayPull(caller, target) ? target : null;
        var kept = request.Query.Where(p => p.Key is not ("mount" or "from")).ToList();
        if (allowedFrom is not null)
        {
            kept.Add(new KeyValuePair<string, StringValues>("mount", request.Query["mount"]));
            kept.Add(new KeyValuePair<string, StringValues>("from", allowedFrom));
        }
        request.QueryString = QueryString.Create(kept);
    }

    private Task ChallengeAsync(HttpContext context, RequiredAccess required, string? error)
    {
        var request = context.Request;
        var realm = auth.Options.Realm ?? $"{request.Scheme}://{request.Host}/auth/token";
        return ErrorResponse.WriteAsync(context,
            RegistryError.Unauthorized(AuthenticationChallenge.Bearer(realm, auth.Options.Service, required.ChallengeScope, error)));
    }
}
