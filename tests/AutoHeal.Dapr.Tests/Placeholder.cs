namespace AutoHeal.Dapr.Tests;
