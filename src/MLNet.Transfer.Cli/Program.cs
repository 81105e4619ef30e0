using MLNet.Transfer.Cli;

return CliApp.Run(args);
