Console.WriteLine("reco-jobs");
