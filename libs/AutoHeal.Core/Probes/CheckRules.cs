using AutoHeal.Domain.Probes;

namespace AutoHeal.Core.Probes;

/// <summary>Start-up rules of custom checks, the same for every role: where exec checks defined through the API may run (<c>AutoHeal:Checks:ApiExec</c>).</summary>
public sealed record CheckRules(ApiExec ApiExec = ApiExec.Unprivileged);
